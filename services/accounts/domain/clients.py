"""API clients: other systems' credentials (OAuth 2.0 client credentials), one organisation and
one role each. The secret is shown once, when the client is made, and stored as a hash; a
revoked client gets no more tokens (those it has lapse within their minutes)."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime

from services.accounts.domain.bearer_secrets import new_secret, token_hash
from services.accounts.domain.errors import InvalidClient
from shared.auth import Role

CLIENT_ID_PREFIX = "rc_"


@dataclass
class ApiClient:
    id: str  # what the other system sends as `client_id`
    org_id: str
    name: str
    role: Role
    secret_hash: str
    created_at: datetime
    created_by: str
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None

    @classmethod
    def make(
        cls, client_id: str, org_id: str, name: str, role: Role, by: str, now: datetime
    ) -> tuple[ApiClient, str]:
        secret = new_secret()
        client = cls(
            id=CLIENT_ID_PREFIX + client_id,
            org_id=org_id,
            name=name,
            role=role,
            secret_hash=token_hash(secret),
            created_at=now,
            created_by=by,
        )
        return client, secret

    @property
    def subject(self) -> str:
        """The `sub` of its access tokens."""
        return f"client:{self.id}"

    def check(self, secret: str) -> None:
        if self.revoked_at is not None or not hmac.compare_digest(
            token_hash(secret), self.secret_hash
        ):
            raise InvalidClient("the client credentials are not right")
