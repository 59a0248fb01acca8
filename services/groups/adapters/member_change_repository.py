"""Changes of members by query (`member_changes`): their status and how far they got."""

from __future__ import annotations

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from services.groups.domain.member_change import ChangeStatus, MemberChange
from shared.mongo.client import Document, ensure_indexes

MEMBER_CHANGE_INDEXES = [
    IndexModel([("status", ASCENDING)], name="status"),
]


def _state(change: MemberChange) -> Document:
    return {
        "org_id": change.org_id,
        "group_id": change.group_id,
        "add": change.add,
        "query": change.query,
        "actor": change.actor,
        "status": change.status.value,
        "matched": change.matched,
        "changed": change.changed,
        "after": change.after,
        "error": change.error,
        "created_at": change.created_at,
        "finished_at": change.finished_at,
    }


def _change(doc: Document) -> MemberChange:
    return MemberChange(
        id=doc["_id"],
        org_id=doc["org_id"],
        group_id=doc["group_id"],
        add=doc["add"],
        query=doc["query"],
        actor=doc["actor"],
        status=ChangeStatus(doc["status"]),
        matched=doc["matched"],
        changed=doc["changed"],
        after=doc.get("after"),
        error=doc.get("error"),
        created_at=doc.get("created_at"),
        finished_at=doc.get("finished_at"),
    )


class MongoMemberChangeRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection = db["member_changes"]

    async def create_indexes(self) -> None:
        await ensure_indexes(self.collection, MEMBER_CHANGE_INDEXES)

    async def add(self, change: MemberChange) -> None:
        await self.collection.insert_one({"_id": change.id, **_state(change)})

    async def get(self, org_id: str, change_id: str) -> MemberChange | None:
        doc = await self.collection.find_one({"_id": change_id})
        if doc is None or doc["org_id"] != org_id:
            return None
        return _change(doc)

    async def save(self, change: MemberChange) -> None:
        await self.collection.replace_one({"_id": change.id}, _state(change))

    async def running(self) -> list[MemberChange]:
        """Changes not finished yet, of any organisation (resumed at start)."""
        docs = await self.collection.find({"status": ChangeStatus.RUNNING.value}).to_list()
        return [_change(doc) for doc in docs]
