"""The console's one port, faked: an accounts service that knows one password and rotates
refresh tokens as the real one does (a retired token is refused)."""

from __future__ import annotations

import itertools
import json

from services.console.domain.errors import UpstreamRefused, UpstreamUnavailable
from services.console.domain.sessions import SessionTokens

PASSWORD = "the right password"


def _refusal(status: int, code: str) -> UpstreamRefused:
    body = {"error": {"code": code, "message": "Not allowed", "details": {}}}
    return UpstreamRefused(status, json.dumps(body).encode(), {"WWW-Authenticate": "Bearer"})


class FakeAccounts:
    def __init__(self) -> None:
        self._serial = itertools.count(1)
        self.live_refresh: set[str] = set()
        self.signed_out: list[str] = []
        self.addresses: list[str] = []
        self.down = False  # set: every call fails as an unreachable service does

    def _answer(self) -> None:
        if self.down:
            raise UpstreamUnavailable("connection refused")

    def _issue(self, organization: str) -> SessionTokens:
        n = next(self._serial)
        refresh = f"refresh-{n}"
        self.live_refresh.add(refresh)
        return SessionTokens(f"access-{n}", 900, refresh, organization, "admin")

    async def sign_in(
        self, email: str, password: str, organization: str, address: str
    ) -> SessionTokens:
        self._answer()
        self.addresses.append(address)
        if password != PASSWORD:
            raise _refusal(401, "invalid_credentials")
        return self._issue(organization)

    async def refresh(self, refresh_token: str, address: str) -> SessionTokens:
        self._answer()
        self.addresses.append(address)
        if refresh_token not in self.live_refresh:
            raise _refusal(401, "invalid_refresh_token")
        self.live_refresh.discard(refresh_token)
        return self._issue("acme")

    async def sign_out(self, access_token: str) -> None:
        self._answer()
        if not access_token.startswith("access-"):
            raise _refusal(401, "unauthorized")
        self.signed_out.append(access_token)
