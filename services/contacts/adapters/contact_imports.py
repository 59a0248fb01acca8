"""An import's writes to the `contacts` collection: a batch's new contacts in one insert and its
changes in a few bulk writes, each contact marked with the row that wrote it (`LAST_IMPORT`), so
that a redelivered batch finds its own earlier work.

New contacts are inserted without their `ContactCreated`: the batch's announcements travel with
its reply (`MongoImportReplies`), one document for the batch instead of a pull per contact."""

from __future__ import annotations

from collections.abc import Sequence

from pymongo import UpdateOne

from services.contacts.adapters.contact_collection import (
    LAST_IMPORT,
    ContactCollection,
    new_document,
    tenant_document,
    versioned,
)
from services.contacts.adapters.documents import contact_from_document, contact_state
from services.contacts.domain.model import Contact
from services.contacts.service_layer.ports import ImportMark
from shared.mongo.client import Document, bulk_write_in_chunks
from shared.mongo.outbox import OUTBOX, outbox_update


class MongoContactImports:
    def __init__(self, contacts: ContactCollection) -> None:
        self._contacts = contacts

    async def add_many(self, contacts: Sequence[Contact], marks: Sequence[ImportMark]) -> set[int]:
        docs = [new_document(c, m, with_events=False) for c, m in zip(contacts, marks, strict=True)]
        return await self._contacts.insert_new(contacts, docs) if docs else set()

    async def find_for_import(
        self, org_id: str, phones: Sequence[str]
    ) -> dict[str, tuple[Contact, ImportMark | None]]:
        docs = await self._contacts.by_phone(org_id, phones, {OUTBOX: 0})
        return {
            key: (contact_from_document(doc), doc.get(LAST_IMPORT))
            for key, doc in docs.items()
            if not doc["deleted"]
        }

    async def save_imported(self, changes: Sequence[tuple[Contact, int, ImportMark]]) -> set[str]:
        """Many per round trip. The version guard is in the filter where `_id` filters are
        indexed; stock FerretDB scans the collection for any filter beyond `_id`, so there the
        write goes by `_id` alone right after the read."""
        if not changes:
            return set()
        store = self._contacts.store
        unguarded = not store.ids_indexed
        ops = []
        entries: dict[str, list[Document]] = {}
        for contact, read_version, mark in changes:
            entries[contact.id] = versioned(
                contact.events, contact.id, contact.org_id, contact.version
            )
            update = outbox_update(
                entries[contact.id], {**contact_state(contact), LAST_IMPORT: mark}
            )
            guard: Document = (
                {} if unguarded else {"org_id": contact.org_id, "version": read_version}
            )
            ops.append(UpdateOne({"_id": contact.id, **guard}, update))
        collection = self._contacts.collection
        written = await bulk_write_in_chunks(collection, ops, store.write_batch)
        for contact, _, _ in changes:
            contact.events.clear()
        conflicts: set[str] = set()
        if written != len(ops):
            conflicts = await self._not_marked(changes)
        for contact_id, stored in entries.items():
            if contact_id not in conflicts:
                self._contacts.wakeup.written(collection, contact_id, stored)
        return conflicts

    async def mark(self, org_id: str, marks: Sequence[tuple[str, ImportMark]]) -> None:
        """By `_id` (the contacts were just read as this organisation's)."""
        ops = [UpdateOne({"_id": i}, {"$set": {LAST_IMPORT: mark}}) for i, mark in marks]
        if ops:
            store = self._contacts.store
            await bulk_write_in_chunks(self._contacts.collection, ops, store.write_batch)

    async def _not_marked(self, changes: Sequence[tuple[Contact, int, ImportMark]]) -> set[str]:
        """The contacts whose stored mark is not the one just written: someone else won."""
        org_id = changes[0][0].org_id
        stored = await self._contacts.find_by_ids(
            [c.id for c, _, _ in changes], {"org_id": 1, "deleted": 1, LAST_IMPORT: 1}
        )
        marks = {d["_id"]: d.get(LAST_IMPORT) for d in stored if tenant_document(d, org_id)}
        return {c.id for c, _, mark in changes if marks.get(c.id, {}) != mark}
