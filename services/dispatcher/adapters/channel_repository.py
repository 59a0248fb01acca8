"""The channels collection: one document per channel, its secrets sealed (`SecretBox`).

Saves are conditional on the version read (`VersionedDocuments`)."""

from __future__ import annotations

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from services.dispatcher.adapters.versioned_documents import VersionedDocuments
from services.dispatcher.domain.channels import Channel, ChannelType
from services.dispatcher.service_layer.ports import SecretBox
from shared.mongo.client import Document, ensure_indexes

CHANNEL_INDEXES = [
    IndexModel([("org_id", ASCENDING), ("deleted", ASCENDING), ("created_at", ASCENDING)],
               name="org_channels"),
]  # fmt: skip


class MongoChannelRepository(VersionedDocuments[Channel]):
    def __init__(self, db: AsyncDatabase[Document], secrets: SecretBox) -> None:
        self.collection = db["channels"]
        self._box = secrets

    async def create_indexes(self) -> None:
        await ensure_indexes(self.collection, CHANNEL_INDEXES)

    def _document(self, channel: Channel) -> Document:
        return {
            "_id": channel.id,
            "org_id": channel.org_id,
            "type": channel.type.value,
            "name": channel.name,
            "tps": channel.tps,
            "pair_interval_s": channel.pair_interval_s,
            "config": channel.config,
            "secrets": self._box.seal(channel.secrets),
            "requires_opt_in": channel.requires_opt_in,
            "created_at": channel.created_at,
            "updated_at": channel.updated_at,
            "created_by": channel.created_by,
            "version": channel.version,
            "deleted": channel.deleted,
        }

    def _item(self, doc: Document) -> Channel:
        return Channel(
            id=doc["_id"],
            org_id=doc["org_id"],
            type=ChannelType(doc["type"]),
            name=doc["name"],
            tps=doc.get("tps"),
            pair_interval_s=float(doc.get("pair_interval_s") or 0.0),
            config=dict(doc.get("config") or {}),
            secrets=self._box.open(doc["secrets"]),
            requires_opt_in=bool(doc.get("requires_opt_in")),
            created_at=doc["created_at"],
            updated_at=doc["updated_at"],
            created_by=doc.get("created_by", ""),
            version=int(doc["version"]),
            deleted=bool(doc.get("deleted")),
        )

    async def find(self, channel_id: str) -> Channel | None:
        doc = await self.collection.find_one({"_id": channel_id})
        return self._item(doc) if doc is not None and not doc.get("deleted") else None
