"""Invitations: a one-time, expiring token with which someone added to an organisation sets the
password of their new account. No mail server is assumed: the admin who adds them is shown the
token (the console turns it into a link) and passes it on. Stored as a hash, like refresh
tokens; a token names its invitation (`<id>.<secret>`)."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.accounts.domain.bearer_secrets import bearer_secret, split_bearer, token_hash
from services.accounts.domain.errors import InvalidInvitation

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
        hashed, token = bearer_secret(invitation_id)
        invitation = cls(
            id=invitation_id,
            user_id=user_id,
            org_id=org_id,
            token_hash=hashed,
            created_at=now,
            expires_at=now + INVITATION_TTL,
        )
        return invitation, token

    def check(self, secret: str, now: datetime) -> None:
        if (
            self.used_at is not None
            or now >= self.expires_at
            or not hmac.compare_digest(token_hash(secret), self.token_hash)
        ):
            raise InvalidInvitation(NOT_VALID)


def split_invitation_token(token: str) -> tuple[str, str]:
    parts = split_bearer(token)
    if parts is None:
        raise InvalidInvitation(NOT_VALID)
    return parts
