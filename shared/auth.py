"""Bearer-token authentication shared by every service.

Tokens are JWTs with the claims `org`, `role` and `sub` (and `sid`, the session, in the accounts
service's); each service verifies them locally, so no service depends on another to
authenticate a request. Two ways, chosen by settings:

- `JwksVerifier` (`ROSTER_AUTH_JWKS_URL` set): EdDSA tokens signed by the accounts service,
  checked against the public keys it publishes, fetched once and again when a token names a key
  not seen yet (a rotation). No service but accounts holds a private key; HS256 and
  `alg: none` are refused.
- `TokenCodec` (no key set configured: tests, and setups without the accounts service): HS256
  with a key every service shares. `roster token` signs development tokens with it there, and
  with the accounts service's key where the key set is on; it refuses to when
  `ROSTER_ENV=prod`.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

import jwt
from jwt.algorithms import OKPAlgorithm

ORG_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
# What the accounts service signs access tokens with (Ed25519), and the only algorithm a
# verifier in JWKS mode accepts.
ACCESS_TOKEN_ALGORITHM = "EdDSA"
REQUIRED_CLAIMS = ["exp", "org", "role", "sub"]
# Clocks of the accounts service and of a verifier may disagree by this much (`iat`, `exp`).
CLOCK_LEEWAY_S = 30


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
    session_id: str | None = None  # the accounts session the token belongs to, if any

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
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from exc
        return principal_of(claims)


def principal_of(claims: dict[str, Any]) -> Principal:
    org, role, sub, sid = (
        claims.get("org"),
        claims.get("role"),
        claims.get("sub"),
        claims.get("sid"),
    )
    if not isinstance(org, str) or not ORG_ID_PATTERN.match(org):
        raise InvalidToken("invalid org claim")
    if not isinstance(role, str) or role not in {r.value for r in Role}:
        raise InvalidToken("invalid role claim")
    if not isinstance(sub, str) or not sub:
        raise InvalidToken("invalid sub claim")
    if sid is not None and not isinstance(sid, str):
        raise InvalidToken("invalid sid claim")
    return Principal(org_id=org, role=Role(role), subject=sub, session_id=sid)


class TokenVerifier(Protocol):
    async def verify(self, token: str) -> Principal: ...


class SharedKeyVerifier:
    """Development: HS256 tokens of `roster token`, with the key every service shares."""

    def __init__(self, codec: TokenCodec) -> None:
        self.codec = codec

    async def verify(self, token: str) -> Principal:
        return self.codec.verify(token)


JwksFetcher = Callable[[], Awaitable[dict[str, Any]]]


class JwksVerifier:
    """EdDSA tokens against the accounts service's published keys (`/.well-known/jwks.json`).

    The key set is fetched at the first token and again whenever a token names a key not in it
    (a rotation: the new key is published before, or as, it signs), at most once every
    `min_refresh_s` (a flood of tokens with made-up key ids must not become a flood of fetches),
    one fetch at a time. A fetch that fails keeps the keys known so far."""

    def __init__(
        self,
        fetch: JwksFetcher,
        issuer: str,
        audience: str,
        min_refresh_s: float = 1.0,
        max_age_s: float = 300.0,
    ) -> None:
        self._fetch = fetch
        self._max_age_s = max_age_s
        self._issuer = issuer
        self._audience = audience
        self._min_refresh_s = min_refresh_s
        self._keys: dict[str, Any] = {}
        self._fetched_at: float | None = None
        self._lock = asyncio.Lock()

    async def verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from exc
        if header.get("alg") != ACCESS_TOKEN_ALGORITHM:
            raise InvalidToken(f"tokens are signed with {ACCESS_TOKEN_ALGORITHM}")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise InvalidToken("the token names no key")
        stale = self._fetched_at is None or time.monotonic() - self._fetched_at > self._max_age_s
        key = None if stale else self._keys.get(kid)
        key = key or await self._refreshed(kid)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[ACCESS_TOKEN_ALGORITHM],
                issuer=self._issuer,
                audience=self._audience,
                leeway=CLOCK_LEEWAY_S,
                options={"require": [*REQUIRED_CLAIMS, "jti"]},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from exc
        return principal_of(claims)

    async def _refreshed(self, kid: str) -> Any:
        """The key, from a fresh fetch when it is unknown or the set is older than `max_age_s`
        (a key no longer published stops verifying within that age, rotated or withdrawn)."""
        async with self._lock:
            now = time.monotonic()
            fresh = self._fetched_at is not None and now - self._fetched_at <= self._max_age_s
            if fresh and kid in self._keys:  # fetched while this one waited
                return self._keys[kid]
            if not fresh or now - (self._fetched_at or 0) >= self._min_refresh_s:
                self._fetched_at = now
                try:
                    self._keys = keys_of(await self._fetch())
                except Exception as exc:
                    raise InvalidToken(f"the signing keys could not be fetched: {exc!r}") from exc
        if kid not in self._keys:
            raise InvalidToken("the token is signed with a key nobody published")
        return self._keys[kid]


def keys_of(jwks: dict[str, Any]) -> dict[str, Any]:
    """The Ed25519 public keys of a JWKS document, by key id; anything else in it is ignored."""
    keys: dict[str, Any] = {}
    for jwk in jwks.get("keys") or []:
        if not isinstance(jwk, dict) or jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
            continue
        if jwk.get("use", "sig") != "sig" or not isinstance(jwk.get("kid"), str):
            continue
        try:
            keys[jwk["kid"]] = OKPAlgorithm.from_jwk(jwk)
        except (jwt.InvalidKeyError, ValueError, TypeError):
            continue
    return keys


class AcceptedTokens:
    """What a service accepts, by the algorithm a token names: EdDSA tokens of the accounts
    service where a key set is configured, HS256 tokens where a shared key is (one or the other,
    see `ServiceSettings.accepted_tokens`). Anything else, `none` included, is refused before
    any key is looked at."""

    def __init__(self, *, jwks: JwksVerifier | None, shared_key: TokenCodec | None) -> None:
        self.jwks = jwks
        self.shared_key = shared_key

    async def verify(self, token: str) -> Principal:
        try:
            algorithm = jwt.get_unverified_header(token).get("alg")
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from exc
        if algorithm == ACCESS_TOKEN_ALGORITHM and self.jwks is not None:
            return await self.jwks.verify(token)
        if algorithm == "HS256" and self.shared_key is not None:
            return self.shared_key.verify(token)
        raise InvalidToken(f"tokens signed with {algorithm!r} are not accepted here")


def http_jwks(url: str, timeout_s: float = 5.0) -> JwksFetcher:
    """Fetches the key set over HTTP (the accounts service's `/.well-known/jwks.json`)."""
    import httpx

    async def fetch() -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=timeout_s) as client:
            answer = await client.get(url)
            answer.raise_for_status()
            document: dict[str, Any] = answer.json()
            return document

    return fetch
