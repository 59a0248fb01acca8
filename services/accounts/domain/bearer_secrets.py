"""The one shape of every secret the accounts service hands out (refresh tokens, invitations):
`<id>.<secret>`, the id naming what it belongs to (looked up), the secret compared by hash (only
the hash is stored, so the store leaks nothing usable)."""

from __future__ import annotations

import hashlib
import secrets


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def bearer_secret(owner_id: str) -> tuple[str, str]:
    """A fresh secret for `owner_id`: its hash (to store) and the token (to hand out)."""
    secret = new_secret()
    return token_hash(secret), f"{owner_id}.{secret}"


def split_bearer(token: str) -> tuple[str, str] | None:
    """(id, secret) of a token of this shape; None for anything else."""
    owner_id, _, secret = token.partition(".")
    return (owner_id, secret) if owner_id and secret else None
