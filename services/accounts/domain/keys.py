"""The keys access tokens are signed with, and which of them verifiers are told about.

One key signs at a time. Rotating makes a new key the signing one; the old one stops signing
but stays published until the last token it signed has expired, so no token in flight stops
verifying. Only the accounts service holds private keys; every other service verifies against
the published set (`/.well-known/jwks.json`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

# How long a retired key stays published beyond the longest access token it may have signed:
# clocks that disagree by a little.
CLOCK_SKEW = timedelta(minutes=2)


@dataclass
class SigningKey:
    kid: str
    private_pem: str
    public_jwk: dict[str, Any]  # kty, crv, x (an Ed25519 public key), with kid, alg and use
    created_at: datetime
    retired_at: datetime | None = None

    @property
    def signing(self) -> bool:
        return self.retired_at is None

    def published(self, now: datetime, access_ttl: timedelta) -> bool:
        return self.retired_at is None or now < self.retired_at + access_ttl + CLOCK_SKEW


def rotate(keys: list[SigningKey], fresh: SigningKey, now: datetime) -> list[SigningKey]:
    """`fresh` signs from now on; the ones that signed until now are retired."""
    for key in keys:
        if key.signing:
            key.retired_at = now
    return [*keys, fresh]


def signing_key(keys: list[SigningKey]) -> SigningKey | None:
    current = [k for k in keys if k.signing]
    return max(current, key=lambda k: k.created_at) if current else None
