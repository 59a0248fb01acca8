"""Joins waiting for the contact copy to catch up (`pending_joins`): few, short-lived
documents, found by contact (the copy's events ask for every contact they change, so the
lookup is by index and the collection is nearly always empty)."""

from __future__ import annotations

from collections.abc import Sequence

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from services.groups.domain.pending_join import PendingJoin
from shared.mongo.client import Document, ensure_indexes, insert_unless_present

PENDING_JOIN_INDEXES = [IndexModel([("contact_id", ASCENDING)], name="contact")]


class MongoPendingJoinRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection = db["pending_joins"]

    async def create_indexes(self) -> None:
        await ensure_indexes(self.collection, PENDING_JOIN_INDEXES)

    async def add(self, join: PendingJoin) -> None:
        await insert_unless_present(self.collection, [{
            "_id": join.id, "org_id": join.org_id, "contact_id": join.contact_id,
            "group_ids": list(join.group_ids), "contact_version": join.contact_version,
            "actor": join.actor, "requested_at": join.requested_at,
        }])  # fmt: skip

    async def for_contacts(self, org_id: str, contact_ids: Sequence[str]) -> list[PendingJoin]:
        cursor = self.collection.find({"contact_id": {"$in": list(contact_ids)}})
        return [
            PendingJoin(id=d["_id"], org_id=d["org_id"], contact_id=d["contact_id"],
                        group_ids=tuple(d["group_ids"]), contact_version=d["contact_version"],
                        actor=d["actor"], requested_at=d["requested_at"])
            async for d in cursor
            if d["org_id"] == org_id
        ]  # fmt: skip

    async def remove(self, ids: Sequence[str]) -> None:
        if ids:
            await self.collection.delete_many({"_id": {"$in": list(ids)}})
