"""Signing keys: Ed25519 pairs made here, kept in the accounts service's own database (no other
service reads it, and no other service holds a private key)."""

from __future__ import annotations

import base64
import secrets
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from services.accounts.domain.keys import SigningKey
from shared.auth import ACCESS_TOKEN_ALGORITHM
from shared.mongo.client import Document, ensure_indexes


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Ed25519Keys:
    def new_key(self, now: datetime) -> SigningKey:
        private = Ed25519PrivateKey.generate()
        public = private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        kid = f"{now:%Y%m%d}-{secrets.token_hex(4)}"
        pem = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        jwk = {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": _b64url(public),
            "kid": kid,
            "alg": ACCESS_TOKEN_ALGORITHM,
            "use": "sig",
        }
        return SigningKey(kid=kid, private_pem=pem, public_jwk=jwk, created_at=now)


class MongoKeyRing:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._keys = db["signing_keys"]

    async def create_indexes(self) -> None:
        await ensure_indexes(self._keys, [IndexModel([("created_at", ASCENDING)], name="age")])

    async def all(self) -> list[SigningKey]:
        docs = await self._keys.find({}, sort=[("created_at", ASCENDING)]).to_list()
        return [_key(doc) for doc in docs]

    async def add(self, key: SigningKey) -> None:
        await self._keys.insert_one(
            {
                "_id": key.kid,
                "private_pem": key.private_pem,
                "public_jwk": key.public_jwk,
                "created_at": key.created_at,
                "retired_at": key.retired_at,
            }
        )

    async def retire(self, kids: list[str], now: datetime) -> None:
        if kids:
            await self._keys.update_many(
                {"_id": {"$in": kids}, "retired_at": None}, {"$set": {"retired_at": now}}
            )


def _key(doc: dict[str, Any]) -> SigningKey:
    return SigningKey(
        kid=doc["_id"],
        private_pem=doc["private_pem"],
        public_jwk=dict(doc["public_jwk"]),
        created_at=doc["created_at"],
        retired_at=doc.get("retired_at"),
    )
