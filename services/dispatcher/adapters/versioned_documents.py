"""What the channels and templates collections have in common: one document per item of an
organisation, hidden once deleted, and a save conditional on the version read, so two admins
changing one item at once cannot overwrite each other silently."""

from __future__ import annotations

from typing import Generic, Protocol, TypeVar

from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection

from shared.mongo.client import Document


class _Versioned(Protocol):
    id: str
    version: int


Item = TypeVar("Item", bound=_Versioned)


class VersionedDocuments(Generic[Item]):
    """`_document` and `_item` translate; `order` sorts an organisation's listing."""

    collection: AsyncCollection[Document]
    order: str = "created_at"

    def _document(self, item: Item) -> Document:
        raise NotImplementedError

    def _item(self, doc: Document) -> Item:
        raise NotImplementedError

    async def add(self, item: Item) -> None:
        await self.collection.insert_one(self._document(item))

    async def get(self, org_id: str, item_id: str) -> Item | None:
        doc = await self.collection.find_one({"_id": item_id})
        if doc is None or doc["org_id"] != org_id or doc.get("deleted"):
            return None
        return self._item(doc)

    async def list(self, org_id: str) -> list[Item]:
        cursor = self.collection.find(
            {"org_id": org_id, "deleted": False}, sort=[(self.order, ASCENDING)]
        )
        return [self._item(doc) async for doc in cursor]

    async def save(self, item: Item, expected_version: int) -> bool:
        document = self._document(item)
        del document["_id"]
        result = await self.collection.update_one(
            {"_id": item.id, "version": expected_version}, {"$set": document}
        )
        return result.matched_count == 1
