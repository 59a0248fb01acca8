"""A messaging provider played by a real HTTP server on loopback, for the dispatcher's tests and
benches: it speaks the `http` channel's protocol (signed JSON POSTs with an Idempotency-Key)
and WhatsApp Cloud API's (`POST /<version>/<phone number id>/messages` with a bearer token,
answering Meta's message ids, and status notifications signed like Meta's), records every
request it was sent, and can be told to misbehave (answer 429, 5xx or a WhatsApp error code to
a share of requests for a while, or be slow).

It is never our own code mocked: the dispatcher talks to it over TCP exactly as to a gateway.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import random
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


@dataclass
class Received:
    message_id: str
    idempotency_key: str | None
    signed: bool  # the signature matched the body under the signing key
    to: str
    contact_id: str
    at: float  # time.monotonic() when it arrived
    answered: int  # the HTTP status it got
    body: dict[str, Any] = field(default_factory=dict)  # the JSON as it came


@dataclass
class Misbehaviour:
    """From `start` (monotonic) for `seconds`: answer `status` to `share` of the requests
    (on the WhatsApp route with Meta's error `code`, if given)."""

    status: int
    share: float
    start: float
    seconds: float
    code: int | None = None
    first: int | None = None  # instead of a time: the next this many requests

    def applies(self, now: float, draw: float) -> bool:
        if self.first is not None:
            self.first -= 1
            return self.first >= 0
        return self.start <= now < self.start + self.seconds and draw < self.share


@dataclass
class FakeProvider:
    signing_key: str
    requests: list[Received] = field(default_factory=list)
    misbehaviours: list[Misbehaviour] = field(default_factory=list)
    delay_s: float = 0.0
    url: str = ""
    _random: random.Random = field(default_factory=lambda: random.Random(20261201))

    access_token: str = "whatsapp-token"
    app_secret: str = "whatsapp-app-secret"
    # Meta's message id -> the phone it was sent to.
    wamids: dict[str, str] = field(default_factory=dict)

    def misbehave(self, status: int, share: float, seconds: float, code: int | None = None) -> None:
        self.misbehaviours.append(Misbehaviour(status, share, time.monotonic(), seconds, code))

    def refuse_next(self, count: int, status: int, code: int | None = None) -> None:
        """The next `count` requests, whenever they come."""
        self.misbehaviours.append(Misbehaviour(status, 1.0, 0.0, 0.0, code, first=count))

    @property
    def base_url(self) -> str:
        """A whatsapp_cloud channel's `config.base_url`."""
        return self.url.removesuffix("/send") + "/v21.0"

    def notification(self, statuses: list[tuple[str, str]]) -> tuple[bytes, dict[str, str]]:
        """A status notification as Meta posts it, `(wamid, status)` each, and its signature
        header."""
        body = json.dumps({
            "object": "whatsapp_business_account",
            "entry": [{"id": "waba", "changes": [{"field": "messages", "value": {
                "messaging_product": "whatsapp",
                "statuses": [{"id": wamid, "status": status, "timestamp": str(int(time.time())),
                              "recipient_id": self.wamids.get(wamid, "")}
                             for wamid, status in statuses],
            }}]}],
        }).encode()  # fmt: skip
        digest = hmac.new(self.app_secret.encode(), body, hashlib.sha256).hexdigest()
        return body, {"X-Hub-Signature-256": f"sha256={digest}"}

    async def _whatsapp(self, request: Request) -> JSONResponse:
        message = json.loads(await request.body())
        now = time.monotonic()
        authorized = request.headers.get("authorization") == f"Bearer {self.access_token}"
        draw = self._random.random()
        rule = next((r for r in self.misbehaviours if r.applies(now, draw)), None)
        status = 401 if not authorized else rule.status if rule else 200
        wamid = f"wamid.{len(self.requests)}"
        self.requests.append(
            Received(
                message_id=wamid,
                idempotency_key=None,
                signed=authorized,
                to=message["to"],
                contact_id="",
                at=now,
                answered=status,
                body=message,
            )
        )
        if status == 200:
            self.wamids[wamid] = message["to"]
            return JSONResponse({"messaging_product": "whatsapp",
                                 "contacts": [{"input": message["to"], "wa_id": message["to"]}],
                                 "messages": [{"id": wamid}]})  # fmt: skip
        code = rule.code if rule and rule.code else 190 if status == 401 else status
        error = {"message": f"(#{code}) refused", "type": "OAuthException", "code": code}
        return JSONResponse({"error": error}, status_code=status)

    @property
    def accepted(self) -> list[Received]:
        return [r for r in self.requests if 200 <= r.answered < 300]

    async def _send(self, request: Request) -> JSONResponse:
        body = await request.body()
        expected = "sha256=" + hmac.new(self.signing_key.encode(), body, hashlib.sha256).hexdigest()
        signed = hmac.compare_digest(request.headers.get("x-roster-signature", ""), expected)
        message = json.loads(body)
        now = time.monotonic()
        status = 200
        draw = self._random.random()
        for rule in self.misbehaviours:
            if rule.applies(now, draw):
                status = rule.status
                break
        if not signed:
            status = 401
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        self.requests.append(
            Received(
                message_id=message["message_id"],
                idempotency_key=request.headers.get("idempotency-key"),
                signed=signed,
                to=message["to"],
                contact_id=message["contact_id"],
                at=now,
                answered=status,
                body=message,
            )
        )
        if status == 200:
            return JSONResponse({"id": f"prov-{message['message_id']}"})
        reason = {401: "bad_signature", 429: "throttled"}.get(status, "unavailable")
        return JSONResponse({"reason": reason}, status_code=status)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.asynccontextmanager
async def running_provider(signing_key: str) -> AsyncIterator[FakeProvider]:
    """The provider serving on a free loopback port for the duration of the block."""
    provider = FakeProvider(signing_key=signing_key)
    app = Starlette(
        routes=[
            Route("/send", provider._send, methods=["POST"]),
            Route("/v21.0/{phone_number_id}/messages", provider._whatsapp, methods=["POST"]),
        ]
    )
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    provider.url = f"http://127.0.0.1:{port}/send"
    try:
        yield provider
    finally:
        server.should_exit = True
        await task
