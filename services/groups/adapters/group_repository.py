"""The groups collection: each group's state and its unpublished events (outbox) in one document.

`member_count` and `applied_seq` belong to the membership projection: only the consumer that
applies `GroupMembershipChanged` writes them, so a group's save never overwrites them.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import OperationFailure

from services.groups.domain.errors import DuplicateGroupName, VersionConflict
from services.groups.domain.model import Group, GroupType, SmartStatus
from shared.contracts.groups import group_name_key as name_key
from shared.mongo.client import Document, Store, count_matching, ensure_indexes, is_duplicate_key
from shared.mongo.outbox import OUTBOX, OUTBOX_INDEX, OutboxWakeup, outbox_entry, outbox_update
from shared.mongo.outbox_values import drop_values, set_values_aside

SOURCE = "roster/groups"
SMART_CACHE_S = 1.0

GROUP_INDEXES = [
    IndexModel([("org_id", ASCENDING), ("name_key", ASCENDING)], unique=True, name="org_name"),
    IndexModel([("org_id", ASCENDING), ("type", ASCENDING)], name="org_type"),
    OUTBOX_INDEX,
]


def _state(group: Group) -> Document:
    return {
        "org_id": group.org_id,
        "name": group.name,
        # A deleted group gives its name back.
        "name_key": f"deleted:{group.id}" if group.deleted else name_key(group.name),
        "description": group.description,
        "type": group.type.value,
        "query": group.query,
        "blacklisted": group.blacklisted,
        "staff": list(group.staff),
        "created_at": group.created_at,
        "updated_at": group.updated_at,
        "version": group.version,
        "deleted": group.deleted,
    }


def _smart_state(group: Group) -> Document:
    """Written when the group is created or its query changes; otherwise only the evaluation
    worker sets it (`set_smart_status`), so a save never puts back a status read earlier."""
    return {
        "smart_status": group.smart_status.value if group.smart_status else None,
        "smart_error": group.smart_error,
    }


def _group(doc: Document) -> Group:
    return Group(
        id=doc["_id"],
        org_id=doc["org_id"],
        name=doc["name"],
        type=GroupType(doc["type"]),
        description=doc.get("description"),
        query=doc.get("query"),
        blacklisted=bool(doc.get("blacklisted")),
        staff=list(doc.get("staff") or []),
        member_count=int(doc.get("member_count") or 0),
        smart_status=SmartStatus(doc["smart_status"]) if doc.get("smart_status") else None,
        smart_error=doc.get("smart_error"),
        created_at=doc.get("created_at"),
        updated_at=doc.get("updated_at"),
        version=doc["version"],
        deleted=bool(doc.get("deleted")),
    )


class MongoGroupRepository:
    def __init__(self, db: AsyncDatabase[Document], wakeup: OutboxWakeup, store: Store) -> None:
        self.collection = db["groups"]
        self._wakeup = wakeup
        self._store = store
        self._smart: dict[str, tuple[float, list[Group]]] = {}

    async def create_indexes(self) -> None:
        await ensure_indexes(self.collection, GROUP_INDEXES)

    async def get(self, org_id: str, group_id: str, *, deleted: bool = False) -> Group | None:
        """By `_id` alone (FerretDB's fast path), then checked for the tenant here."""
        doc = await self.collection.find_one({"_id": group_id}, {OUTBOX: 0})
        if doc is None or doc["org_id"] != org_id or (doc.get("deleted") and not deleted):
            return None
        return _group(doc)

    async def applied_seq(self, group_id: str) -> int:
        doc = await self.collection.find_one({"_id": group_id}, {"applied_seq": 1})
        return int(doc.get("applied_seq") or 0) if doc else 0

    async def find(
        self,
        org_id: str,
        *,
        name: str | None = None,
        type: str | None = None,
        staff: str | None = None,
    ) -> list[Group]:
        query: Document = {"org_id": org_id, "deleted": False}
        if name:
            query["name"] = {"$regex": re.escape(name.strip()), "$options": "i"}
        if type:
            query["type"] = type
        if staff is not None:
            query["staff"] = staff
        docs = await self.collection.find(
            query, {OUTBOX: 0}, sort=[("name_key", ASCENDING)], batch_size=10_000
        ).to_list()
        return [_group(doc) for doc in docs]

    async def by_name(self, org_id: str, name: str) -> Group | None:
        doc = await self.collection.find_one(
            {"org_id": org_id, "name_key": name_key(name.strip()), "deleted": False}, {OUTBOX: 0}
        )
        return _group(doc) if doc else None

    async def count(self, org_id: str) -> int:
        return await count_matching(self.collection, {"org_id": org_id, "deleted": False})

    async def smart_groups(self, org_id: str) -> list[Group]:
        """Asked for every contact event, so kept for a moment: this process's own writes
        refresh it at once, other replicas' within SMART_CACHE_S (a new smart group is
        evaluated in full anyway)."""
        now = time.monotonic()
        cached = self._smart.get(org_id)
        if cached is not None and now - cached[0] < SMART_CACHE_S:
            return cached[1]
        groups = await self.find(org_id, type=GroupType.SMART.value)
        self._smart[org_id] = (now, groups)
        return groups

    async def evaluating(self) -> list[Group]:
        """Smart groups whose membership still has to follow a new query (any organisation)."""
        docs = await self.collection.find(
            {"smart_status": SmartStatus.EVALUATING.value, "deleted": False},
            {OUTBOX: 0},
            batch_size=10_000,
        ).to_list()
        return [_group(doc) for doc in docs]

    async def add(self, group: Group) -> None:
        doc = {
            "_id": group.id,
            **_state(group),
            **_smart_state(group),
            "member_count": 0,
            "applied_seq": 0,
            OUTBOX: await set_values_aside(self.collection, self._entries(group)),
        }
        try:
            await self.collection.insert_one(doc)
        except OperationFailure as exc:
            if not is_duplicate_key(exc):
                raise
            raise DuplicateGroupName("a group with this name exists", name=group.name) from None
        group.events.clear()
        self._smart.pop(group.org_id, None)
        self._wakeup.written(self.collection, group.id, doc[OUTBOX])

    async def save(self, group: Group, expected_version: int) -> None:
        """Stores the change only if nobody saved the group since it was read."""
        state = _state(group)
        if group.query_changed:
            state |= _smart_state(group)
        # Membership events are large: their values wait outside the group's document.
        entries = await set_values_aside(self.collection, self._entries(group))
        update = outbox_update(entries, state)
        try:
            result = await self.collection.update_one(
                {"_id": group.id, "version": expected_version}, update
            )
        except OperationFailure as exc:
            if not is_duplicate_key(exc):
                raise
            raise DuplicateGroupName("a group with this name exists", name=group.name) from None
        if result.matched_count == 0:
            await drop_values(self._store, self.collection, entries)  # never committed
            raise VersionConflict(
                "the group was changed by someone else", expected_version=expected_version
            )
        group.events.clear()
        self._smart.pop(group.org_id, None)
        self._wakeup.written(self.collection, group.id, entries)

    async def begin_apply(self, group_id: str, sequence: int) -> bool:
        """Marks the change as being applied; True if an earlier attempt at this same change
        was interrupted (the process died half-way), so the count has to be taken again."""
        before = await self.collection.find_one_and_update(
            {"_id": group_id}, {"$set": {"applying_seq": sequence}}
        )  # no projection: FerretDB does not implement it for findAndModify
        return before is not None and before.get("applying_seq") == sequence

    async def record_applied(
        self, group_id: str, sequence: int, *, delta: int = 0, count: int | None = None
    ) -> None:
        """The membership projection applied the change with this sequence: the member count
        moves by `delta`, or is set to `count` when it was taken again."""
        update: Document = {"$set": {"applied_seq": sequence}}
        if count is None:
            update["$inc"] = {"member_count": delta}
        else:
            update["$set"]["member_count"] = count
        await self.collection.update_one({"_id": group_id}, update)

    async def set_member_count(self, group_id: str, count: int, counted_at_seq: int) -> bool:
        """Only if no membership change was applied since the count was taken."""
        result = await self.collection.update_one(
            {"_id": group_id, "applied_seq": counted_at_seq}, {"$set": {"member_count": count}}
        )
        return result.matched_count == 1

    async def set_smart_status(
        self, group_id: str, query: str, status: SmartStatus, error: dict[str, Any] | None
    ) -> bool:
        """Only if the query is still the one evaluated; False otherwise."""
        result = await self.collection.update_one(
            {"_id": group_id, "query": query},
            {"$set": {"smart_status": status.value, "smart_error": error}},
        )
        self._smart.clear()
        return result.matched_count == 1

    def _entries(self, group: Group) -> Sequence[Document]:
        return [
            outbox_entry(
                event, source=SOURCE, subject=group.id, org_id=group.org_id, sequence=sequence
            )
            for event, sequence in group.events
        ]
