"""Bearer tokens: what is accepted, and everything that must be refused."""

from __future__ import annotations

import jwt
import pytest
from pydantic import ValidationError

from shared.auth import InvalidToken, Role, TokenCodec
from shared.settings import DEV_SIGNING_KEY, ServiceSettings

codec = TokenCodec("k" * 40, "roster", "roster")


def forged(key: str = "k" * 40, algorithm: str = "HS256", **overrides: object) -> str:
    """A token signed like a real one, with one claim (or the algorithm) made wrong."""
    claims = {"org": "acme", "role": "admin", "sub": "u", "exp": 9999999999}
    claims |= {"iss": "roster", "aud": "roster", **overrides}
    return jwt.encode(claims, key, algorithm=algorithm)


def test_round_trip() -> None:
    principal = codec.verify(codec.issue("acme", Role.STAFF, "u1"))
    assert (principal.org_id, principal.role, principal.subject) == ("acme", Role.STAFF, "u1")


@pytest.mark.parametrize(
    "token",
    [
        "",
        "not-a-jwt",
        TokenCodec("other" * 10, "roster", "roster").issue("acme", Role.ADMIN, "u1"),
        TokenCodec("k" * 40, "someone-else", "roster").issue("acme", Role.ADMIN, "u1"),
        codec.issue("acme", Role.ADMIN, "u1", ttl_seconds=-10),
        forged(role="root"),
        forged(org="a/b"),
        forged(key="", algorithm="none"),
    ],
)
def test_bad_tokens_are_refused(token: str) -> None:
    with pytest.raises(InvalidToken):
        codec.verify(token)


def test_production_refuses_the_dev_signing_key() -> None:
    with pytest.raises(ValidationError, match="ROSTER_JWT_SIGNING_KEY must be set"):
        ServiceSettings(env="prod", jwt_signing_key=DEV_SIGNING_KEY)
    with pytest.raises(ValidationError, match="at least 32"):
        ServiceSettings(env="prod", jwt_signing_key="short")
    assert ServiceSettings(env="prod", jwt_signing_key="s" * 40).env == "prod"
