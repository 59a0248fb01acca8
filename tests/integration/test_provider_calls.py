"""The providers' calls over real TCP: what each kind of answer, and each kind of silence, means
for a message. A request that never left may always be tried again; one that may have reached
the provider is tried again only where the provider drops repeats (`http`, by its
Idempotency-Key), never on WhatsApp (`unknown`). The servers are real: the fake provider, a
server that reads the request and never answers, one that hangs up on it, and a closed port."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import pytest

from services.dispatcher.adapters.providers import (
    HttpProvider,
    WhatsAppCloudProvider,
    provider_session,
)
from services.dispatcher.domain.channels import Channel, ChannelType
from services.dispatcher.domain.messages import Said
from services.dispatcher.service_layer.ports import OutboundMessage, SendResult
from tests.support.fake_provider import FakeProvider, running_provider

SIGNING_KEY = "provider-calls-signing-key-0123456789"
TIMEOUT_S = 0.5

Send = Callable[[str], Awaitable[SendResult]]


def channel(kind: ChannelType, url: str, provider: FakeProvider | None = None) -> Channel:
    now = datetime.now(UTC)
    if kind is ChannelType.HTTP:
        config, secrets = {"url": url}, {"signing_key": SIGNING_KEY}
    else:
        base = url.removesuffix("/send") + "/v21.0"
        token = provider.access_token if provider else "token"
        config, secrets = {"base_url": base, "phone_number_id": "123"}, {"access_token": token}
    return Channel(id="ch", org_id="org", type=kind, name="c", tps=None, pair_interval_s=0.0,
                   config=config, secrets=secrets, requires_opt_in=False, created_at=now,
                   updated_at=now, created_by="test")  # fmt: skip


@asynccontextmanager
async def sender(kind: ChannelType, url: str, provider: FakeProvider | None = None
                 ) -> AsyncIterator[Send]:  # fmt: skip
    async with provider_session(TIMEOUT_S) as session:
        made = HttpProvider(session) if kind is ChannelType.HTTP else WhatsAppCloudProvider(session)
        target = channel(kind, url, provider)

        async def send(message_id: str) -> SendResult:
            return await made.send(OutboundMessage(message_id, target, "+254700000001",
                                                   Said("hello"), "contact-1", None))  # fmt: skip

        yield send


@asynccontextmanager
async def tcp_server(on_request: Callable[[asyncio.StreamWriter], Awaitable[None]]
                     ) -> AsyncIterator[str]:  # fmt: skip
    """A server that reads a request's first bytes, then does `on_request`."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1024)
        await on_request(writer)

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/send"
    finally:
        server.close()


async def never_answers(writer: asyncio.StreamWriter) -> None:
    await asyncio.sleep(5 * TIMEOUT_S)
    writer.close()


async def hangs_up(writer: asyncio.StreamWriter) -> None:
    writer.close()


def closed_port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/send"


@pytest.mark.parametrize(
    ("status", "code", "http", "whatsapp"),
    [
        (200, None, "sent", "sent"),
        (429, None, "retry", "retry"),
        (400, 131056, "failed", "retry"),  # WhatsApp's pair rate limit is throttling
        (500, None, "retry", "unknown"),
        (400, 100, "failed", "failed"),
    ],
)
async def test_answers(status: int, code: int | None, http: str, whatsapp: str) -> None:
    async with running_provider(SIGNING_KEY) as provider:
        for kind, expected in ((ChannelType.HTTP, http), (ChannelType.WHATSAPP_CLOUD, whatsapp)):
            if status != 200:
                provider.refuse_next(1, status, code)
            async with sender(kind, provider.url, provider) as send:
                result = await send(f"m-{kind.value}")
            assert result.outcome == expected, (kind, result)
            on_whatsapp = kind is ChannelType.WHATSAPP_CLOUD
            assert result.throttled == (status == 429 or (on_whatsapp and code == 131056))
        assert len(provider.requests) == 2
        assert all(r.signed for r in provider.requests)
        if status == 200:
            sent_ids = {r.message_id for r in provider.requests}
            assert "m-http" in sent_ids and provider.requests[0].idempotency_key == "m-http"


async def test_a_request_that_never_left_is_tried_again_on_every_channel() -> None:
    url = closed_port()
    for kind in (ChannelType.HTTP, ChannelType.WHATSAPP_CLOUD):
        async with sender(kind, url) as send:
            result = await send("m")
        assert result.outcome == "retry", (kind, result)
        assert result.reason and result.reason.startswith("provider_unreachable")


@pytest.mark.parametrize("silence", [never_answers, hangs_up])
async def test_no_answer_is_tried_again_only_where_repeats_are_dropped(
    silence: Callable[[asyncio.StreamWriter], Awaitable[None]],
) -> None:
    async with tcp_server(silence) as url:
        async with sender(ChannelType.HTTP, url) as send:
            over_http = await send("m")
        async with sender(ChannelType.WHATSAPP_CLOUD, url) as send:
            on_whatsapp = await send("m")
    assert over_http.outcome == "retry", over_http
    assert on_whatsapp.outcome == "unknown", on_whatsapp
    assert on_whatsapp.reason and on_whatsapp.reason.startswith("no_answer")
    if silence is never_answers:
        assert over_http.reason == "provider_timeout"
        assert on_whatsapp.reason == "no_answer: timeout"
