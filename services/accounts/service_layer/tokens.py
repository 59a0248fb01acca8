"""Access tokens: short-lived JWTs signed with the current Ed25519 key (EdDSA), carrying what
every service needs to authorize a request without asking anyone: the organisation, the role,
the user, and the session (so that signing out can name it)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import jwt

from services.accounts.domain.keys import SigningKey
from services.accounts.service_layer.unit_of_work import TokenRules
from shared.auth import ACCESS_TOKEN_ALGORITHM, Role


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    expires_in: int
    refresh_token: str
    org_id: str
    role: Role


def access_token(
    key: SigningKey,
    rules: TokenRules,
    *,
    user_id: str,
    org_id: str,
    role: Role,
    session_id: str | None,
    now: datetime,
) -> str:
    issued = int(now.timestamp())
    claims = {
        "iss": rules.issuer,
        "aud": rules.audience,
        "sub": user_id,
        "org": org_id,
        "role": role.value,
        "jti": uuid.uuid4().hex,
        "iat": issued,
        "exp": issued + int(rules.access_ttl.total_seconds()),
    }
    if session_id is not None:  # a user's; an API client's token belongs to no session
        claims["sid"] = session_id
    return jwt.encode(
        claims, key.private_pem, algorithm=ACCESS_TOKEN_ALGORITHM, headers={"kid": key.kid}
    )
