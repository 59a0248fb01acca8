"""Field definitions, one document per organisation and key, with their events in an outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError, OperationFailure

from services.contacts.adapters.contact_collection import SOURCE
from services.contacts.domain.errors import DuplicateField, VersionConflict
from services.contacts.domain.fields import FieldDefinition
from shared.contactql.values import FieldType
from shared.mongo.client import Document, count_matching, ensure_indexes, is_duplicate_key
from shared.mongo.outbox import (
    OUTBOX,
    OUTBOX_INDEX,
    OutboxWakeup,
    outbox_entries,
    outbox_update,
)

FIELD_INDEXES = [
    IndexModel([("org_id", ASCENDING), ("label_key", ASCENDING)], name="org_label", unique=True),
    OUTBOX_INDEX,
]


def _id(org_id: str, key: str) -> str:
    return f"{org_id}:{key}"


class MongoFieldRepository:
    def __init__(self, db: AsyncDatabase[Document], wakeup: OutboxWakeup) -> None:
        self.collection = db["fields"]
        self._wakeup = wakeup

    async def create_indexes(self) -> None:
        await ensure_indexes(self.collection, FIELD_INDEXES)

    async def add(
        self, definition: FieldDefinition, replacing: FieldDefinition | None = None
    ) -> None:
        """A new key is inserted; a key whose field was deleted takes over its tombstone."""
        field_id = _id(definition.org_id, definition.key)
        entries = self._entries(definition)
        try:
            if replacing is None:
                doc = {"_id": field_id, **_state(definition), OUTBOX: entries}
                await self.collection.insert_one(doc)
            else:
                state = {**_state(definition), "last_conversion": None}
                result = await self.collection.update_one(
                    {"_id": field_id, "version": replacing.version, "deleted": True},
                    outbox_update(entries, state),
                )
                if result.matched_count == 0:
                    raise DuplicateField("a field with this key exists", key=definition.key)
        except (DuplicateKeyError, OperationFailure) as exc:
            if not is_duplicate_key(exc):
                raise
            raise DuplicateField(
                "a field with this key or label exists", key=definition.key, label=definition.label
            ) from None
        definition.events.clear()
        self._wakeup.written(self.collection, field_id, entries)

    async def save(self, definition: FieldDefinition, expected_version: int) -> None:
        if not definition.events:
            return
        state = _state(definition)
        field_id = _id(definition.org_id, definition.key)
        entries = self._entries(definition)
        try:
            result = await self.collection.update_one(
                {"_id": field_id, "version": expected_version},
                outbox_update(entries, state),
            )
        except OperationFailure as exc:
            if not is_duplicate_key(exc):
                raise
            raise DuplicateField("another field has this label", label=definition.label) from None
        if result.matched_count == 0:
            raise VersionConflict("the field was changed by someone else")
        definition.events.clear()
        self._wakeup.written(self.collection, field_id, entries)

    async def get(self, org_id: str, key: str, *, deleted: bool = False) -> FieldDefinition | None:
        """A live definition; with `deleted=True` also one whose values are being removed."""
        doc = await self.collection.find_one({"_id": _id(org_id, key)}, {OUTBOX: 0})
        if doc is None or doc["org_id"] != org_id or (doc.get("deleted") and not deleted):
            return None
        return _definition(doc)

    async def pending(self) -> list[tuple[str, str]]:
        """(org, key) of every field whose contacts' values still have to follow it."""
        docs = await self.collection.find(
            {"values_pending": True}, {"org_id": 1, "key": 1}
        ).to_list()
        return [(doc["org_id"], doc["key"]) for doc in docs]

    async def values_followed(
        self, definition: FieldDefinition, report: dict[str, Any] | None
    ) -> bool:
        """Records that the values follow `definition` as read (unless it changed since). A
        deleted field stays as a tombstone, so a new field under its key continues its version."""
        guard = {"_id": _id(definition.org_id, definition.key), "version": definition.version}
        update: Document = {"$set": {"values_pending": False}}
        if report is not None:
            update["$set"]["last_conversion"] = report
        result = await self.collection.update_one(guard, update)
        return result.matched_count == 1

    async def all(self, org_id: str) -> list[FieldDefinition]:
        """Featured first (by their order), then the rest by label."""
        docs = await self.collection.find(
            {"org_id": org_id, "deleted": False}, {OUTBOX: 0}
        ).to_list()
        definitions = [_definition(d) for d in docs]
        return sorted(definitions, key=lambda d: (not d.featured, d.order, d.label.casefold()))

    async def types(self, org_id: str) -> dict[str, FieldType]:
        return {d.key: d.type for d in await self.all(org_id)}

    async def count(self, org_id: str) -> int:
        return await count_matching(self.collection, {"org_id": org_id, "deleted": False})

    def _entries(self, definition: FieldDefinition) -> list[Document]:
        return outbox_entries(
            definition.events,
            source=SOURCE,
            subject=_id(definition.org_id, definition.key),
            org_id=definition.org_id,
            sequence=definition.version,
        )


def _state(d: FieldDefinition) -> Document:
    return {
        "org_id": d.org_id,
        "key": d.key,
        "label": d.label,
        # Labels are unique ignoring case; a deleted field frees its label at once.
        "label_key": f"deleted:{d.key}:{d.version}" if d.deleted else d.label.casefold(),
        "type": d.type.value,
        "featured": d.featured,
        "order": d.order,
        "created_at": d.created_at,
        "updated_at": d.updated_at,
        "version": d.version,
        "deleted": d.deleted,
        "values_pending": d.values_pending,
    }


def _definition(doc: dict[str, Any]) -> FieldDefinition:
    created: datetime | None = doc.get("created_at")
    return FieldDefinition(
        org_id=doc["org_id"],
        key=doc["key"],
        label=doc["label"],
        type=FieldType(doc["type"]),
        featured=bool(doc.get("featured")),
        order=int(doc.get("order") or 0),
        created_at=created,
        updated_at=doc.get("updated_at"),
        version=doc["version"],
        deleted=bool(doc.get("deleted")),
        values_pending=bool(doc.get("values_pending")),
        last_conversion=doc.get("last_conversion"),
    )
