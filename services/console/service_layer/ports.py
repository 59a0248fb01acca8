"""What the console's handlers need from outside: the accounts service's session routes."""

from __future__ import annotations

from typing import Protocol

from services.console.domain.sessions import SessionTokens


class AccountsSessions(Protocol):
    """The accounts service. A refusal raises `UpstreamRefused` with its answer; no answer
    raises `UpstreamUnavailable`."""

    async def sign_in(
        self, email: str, password: str, organization: str, address: str
    ) -> SessionTokens: ...

    async def refresh(self, refresh_token: str, address: str) -> SessionTokens: ...

    async def sign_out(self, access_token: str) -> None: ...
