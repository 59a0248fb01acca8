"""The accounts service's session routes, over HTTP (`AccountsSessions`)."""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from services.console.domain.errors import UpstreamRefused, UpstreamUnavailable
from services.console.domain.sessions import SessionTokens

# Passed on with a refusal: what the browser needs to wait (429) or to know it must sign in.
PASSED_HEADERS = ("Retry-After", "WWW-Authenticate", "X-Request-Id")


class AccountsHttp:
    def __init__(self, session: aiohttp.ClientSession, base_url: str) -> None:
        self._session = session
        self._base = base_url.rstrip("/")

    async def sign_in(
        self, email: str, password: str, organization: str, address: str
    ) -> SessionTokens:
        body = {"email": email, "password": password, "organization": organization}
        answer = await self._call("POST", "/v1/sessions", address, json_body=body)
        return _tokens(answer)

    async def refresh(self, refresh_token: str, address: str) -> SessionTokens:
        body = {"refresh_token": refresh_token}
        answer = await self._call("POST", "/v1/sessions/refresh", address, json_body=body)
        return _tokens(answer)

    async def sign_out(self, access_token: str) -> None:
        headers = {"Authorization": f"Bearer {access_token}"}
        await self._call("DELETE", "/v1/sessions/current", None, headers=headers)

    async def _call(
        self,
        method: str,
        path: str,
        address: str | None,
        *,
        json_body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        sent = {"Accept-Encoding": "identity", **(headers or {})}
        if address:
            sent["X-Forwarded-For"] = address  # the accounts service trusts the console's
        try:
            async with self._session.request(
                method, self._base + path, json=json_body, headers=sent
            ) as response:
                body = await response.read()
                if response.status >= 400:
                    kept = {h: response.headers[h] for h in PASSED_HEADERS if h in response.headers}
                    raise UpstreamRefused(response.status, body, kept)
        except aiohttp.ClientError as exc:
            raise UpstreamUnavailable(str(exc)) from exc
        answer: dict[str, Any] = json.loads(body) if body else {}
        return answer


def _tokens(answer: dict[str, Any]) -> SessionTokens:
    return SessionTokens(
        access_token=answer["access_token"],
        expires_in=int(answer["expires_in"]),
        refresh_token=answer["refresh_token"],
        organization=answer["organization"],
        role=answer["role"],
    )
