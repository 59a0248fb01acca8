"""Invitations: a one-time, expiring token with which someone added to an organisation sets the
password of their new account. No mail server is assumed: the admin who adds them is shown the
token (the console turns it into a link) and passes it on. Stored as a hash, like refresh
tokens; a token names its invitation (`<id>.<secret>`)."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.accounts.domain.errors import InvalidInvitation
from services.accounts.domain.sessions import new_secret, token_hash

INVITATION_TTL = timedelta(days=7)
NOT_VALID = "the invitation is not valid (used, expired or unknown)"


@dataclass
class Invitation:
    id: str
    user_id: str
    org_id: str
    token_hash: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None

    @classmethod
    def issue(
        cls, invitation_id: str, user_id: str, org_id: str, now: datetime
    ) -> tuple[Invitation, str]:
        secret = new_secret()
        invitation = cls(
            id=invitation_id,
            user_id=user_id,
            org_id=org_id,
            token_hash=token_hash(secret),
            created_at=now,
            expires_at=now + INVITATION_TTL,
        )
        return invitation, f"{invitation_id}.{secret}"

    def check(self, secret: str, now: datetime) -> None:
        if (
            self.used_at is not None
            or now >= self.expires_at
            or not hmac.compare_digest(token_hash(secret), self.token_hash)
        ):
            raise InvalidInvitation(NOT_VALID)


def split_invitation_token(token: str) -> tuple[str, str]:
    invitation_id, _, secret = token.partition(".")
    if not invitation_id or not secret:
        raise InvalidInvitation(NOT_VALID)
    return invitation_id, secret
