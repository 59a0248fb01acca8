"""A sign-in session and its rotating refresh tokens.

Each refresh hands out a new refresh token and retires the one presented. A retired token used
again means two parties hold the session (a stolen token, or a client replaying one): the whole
session, every token descended from the same sign-in, is revoked. Tokens are stored as hashes
only, so the store leaks no usable token; a presented token names its session (`<session id>.
<secret>`), which is looked up, then compared by hash in constant time."""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services.accounts.domain.bearer_secrets import bearer_secret, split_bearer, token_hash
from services.accounts.domain.errors import InvalidRefreshToken
from shared.auth import Role

# Retired tokens remembered per session, to tell a reuse from a forgery; an older one just fails.
REMEMBERED_RETIRED = 50


def split_refresh_token(token: str) -> tuple[str, str]:
    parts = split_bearer(token)
    if parts is None:
        raise InvalidRefreshToken("the refresh token is not valid")
    return parts


@dataclass
class Session:
    id: str
    user_id: str
    org_id: str
    role: Role
    created_at: datetime
    expires_at: datetime  # absolute: a session is signed in to again after this
    current_hash: str
    retired_hashes: list[str] = field(default_factory=list)
    revoked_at: datetime | None = None
    revoked_because: str | None = None
    last_used_at: datetime | None = None
    version: int = 0

    @classmethod
    def start(
        cls, session_id: str, user_id: str, org_id: str, role: Role, now: datetime, ttl: timedelta
    ) -> tuple[Session, str]:
        """The session and its first refresh token."""
        current_hash, token = bearer_secret(session_id)
        session = cls(
            id=session_id,
            user_id=user_id,
            org_id=org_id,
            role=role,
            created_at=now,
            expires_at=now + ttl,
            current_hash=current_hash,
            last_used_at=now,
        )
        return session, token

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    def rotate(self, secret: str, now: datetime) -> str:
        """The next refresh token for the one presented; a retired one revokes the session
        (and raises), anything else raises without changing anything."""
        presented = token_hash(secret)
        if self.revoked or now >= self.expires_at:
            raise InvalidRefreshToken("the session has ended")
        if any(hmac.compare_digest(presented, old) for old in self.retired_hashes):
            self.revoke("refresh_token_reused", now)
            raise InvalidRefreshToken("the refresh token was used before; the session is revoked")
        if not hmac.compare_digest(presented, self.current_hash):
            raise InvalidRefreshToken("the refresh token is not valid")
        fresh_hash, token = bearer_secret(self.id)
        self.retired_hashes = [self.current_hash, *self.retired_hashes][:REMEMBERED_RETIRED]
        self.current_hash = fresh_hash
        self.last_used_at = now
        return token

    def revoke(self, because: str, now: datetime) -> None:
        if self.revoked_at is None:
            self.revoked_at = now
            self.revoked_because = because
