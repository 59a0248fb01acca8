"""Bearer-token authentication shared by every service.

Tokens are JWTs (HS256) with the claims `org`, `role` and `sub`; each service verifies them locally,
so no service depends on another to authenticate a request.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from enum import StrEnum

import jwt

ORG_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class Role(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    STAFF = "staff"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the organisation every read and write is scoped to, and the caller's role."""

    org_id: str
    role: Role
    subject: str

    @property
    def actor(self) -> str:
        return f"{self.role.value}:{self.subject}"


class InvalidToken(Exception):
    """The token is missing, malformed, expired or signed with another key."""


class TokenCodec:
    def __init__(self, signing_key: str, issuer: str, audience: str) -> None:
        self._key = signing_key
        self._issuer = issuer
        self._audience = audience

    def issue(self, org_id: str, role: Role, subject: str, ttl_seconds: int = 12 * 3600) -> str:
        if not ORG_ID_PATTERN.match(org_id):
            raise ValueError(f"invalid organisation id: {org_id!r}")
        now = int(time.time())
        claims = {
            "org": org_id,
            "role": role.value,
            "sub": subject,
            "iss": self._issuer,
            "aud": self._audience,
            "iat": now,
            "exp": now + ttl_seconds,
        }
        return jwt.encode(claims, self._key, algorithm="HS256")

    def verify(self, token: str) -> Principal:
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=["HS256"],
                issuer=self._issuer,
                audience=self._audience,
                options={"require": ["exp", "org", "role", "sub"]},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from exc
        org, role, sub = claims.get("org"), claims.get("role"), claims.get("sub")
        if not isinstance(org, str) or not ORG_ID_PATTERN.match(org):
            raise InvalidToken("invalid org claim")
        if role not in {r.value for r in Role}:
            raise InvalidToken("invalid role claim")
        if not isinstance(sub, str) or not sub:
            raise InvalidToken("invalid sub claim")
        return Principal(org_id=org, role=Role(role), subject=sub)
