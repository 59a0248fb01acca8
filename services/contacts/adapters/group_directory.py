"""The contacts service's projection of groups (from `roster.groups`): names for `group = ...`
queries, staff assignments for restricted staff, and smart groups' queries, so that a field a
smart group uses is not changed or deleted under it."""

from __future__ import annotations

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from services.contacts.domain.groups import GroupEntry
from shared.mongo.client import Document, ensure_indexes

DIRECTORY_INDEXES = [IndexModel([("org_id", ASCENDING)], name="org")]


class MongoGroupDirectory:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection = db["group_directory"]

    async def create_indexes(self) -> None:
        await ensure_indexes(self.collection, DIRECTORY_INDEXES)

    async def apply(
        self,
        org_id: str,
        group_id: str,
        sequence: int,
        state: Document | None,
    ) -> None:
        """`state` None: the group was deleted. Events of one group arrive in order (keyed by
        group), so read-then-write is safe; the sequence drops repeats and stale events."""
        doc = await self.collection.find_one({"_id": group_id}, {"seq": 1}) or {}
        if int(doc.get("seq") or 0) >= sequence:
            return
        update: Document = {"org_id": org_id, "seq": sequence, "deleted": state is None}
        if state is not None:
            update |= {k: state[k] for k in ("name", "type", "query", "staff")}
        await self.collection.update_one({"_id": group_id}, {"$set": update}, upsert=True)

    async def is_deleted(self, group_id: str) -> bool:
        doc = await self.collection.find_one({"_id": group_id}, {"deleted": 1})
        return bool(doc and doc.get("deleted"))

    async def entries(self, org_id: str) -> list[GroupEntry]:
        docs = await self.collection.find(
            {"org_id": org_id, "deleted": False}, batch_size=10_000
        ).to_list()
        return [
            GroupEntry(
                id=doc["_id"],
                org_id=doc["org_id"],
                name=doc.get("name") or "",
                type=doc.get("type") or "manual",
                query=doc.get("query"),
                staff=tuple(doc.get("staff") or ()),
            )
            for doc in docs
        ]

    async def names(self, org_id: str) -> dict[str, str]:
        """Names (casefolded) and ids, both to the group id, as `QueryContext.groups` wants."""
        entries = await self.entries(org_id)
        return {e.name.casefold(): e.id for e in entries} | {e.id: e.id for e in entries}

    async def assigned_to(self, org_id: str, staff: str) -> list[str]:
        return [e.id for e in await self.entries(org_id) if staff in e.staff]
