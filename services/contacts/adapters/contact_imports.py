"""An import's writes to the `contacts` collection: a batch's new contacts in one insert and its
changes in a few bulk writes, each contact marked with the row that wrote it, under the import's
id in `IMPORT_MARKS`, so that a redelivered batch finds its own earlier work even after another
import wrote the same contact.

New contacts are inserted without their `ContactCreated`: the batch's announcements travel with
its reply (`MongoImportReplies`), one document for the batch instead of a pull per contact."""

from __future__ import annotations

from collections.abc import Sequence

from pymongo import UpdateOne

from services.contacts.adapters.contact_collection import (
    IMPORT_MARKS,
    LAST_IMPORT,
    ContactCollection,
    new_document,
    tenant_document,
    versioned,
)
from services.contacts.adapters.documents import contact_from_document, contact_state
from services.contacts.domain.model import Contact
from services.contacts.service_layer.ports import (
    MARKS_KEPT,
    ImportedChange,
    ImportMark,
    ImportMarks,
)
from shared.mongo.client import Document, bulk_write_in_chunks
from shared.mongo.outbox import OUTBOX, outbox_update


class MongoContactImports:
    def __init__(self, contacts: ContactCollection) -> None:
        self._contacts = contacts

    async def add_many(self, contacts: Sequence[Contact], marks: Sequence[ImportMark]) -> set[int]:
        docs = [new_document(c, m, with_events=False) for c, m in zip(contacts, marks, strict=True)]
        return await self._contacts.insert_new(contacts, docs) if docs else set()

    async def enter_groups(self, contacts: Sequence[Contact]) -> None:
        by_group: dict[str, list[str]] = {}
        for contact in contacts:
            for group_id in contact.groups:
                by_group.setdefault(group_id, []).append(contact.id)
        order_values = {c.id: c.created_at for c in contacts}
        for group_id, ids in by_group.items():
            await self._contacts.membership_index.add(group_id, ids, order_values)

    async def find_for_import(
        self, org_id: str, phones: Sequence[str]
    ) -> dict[str, tuple[Contact, ImportMarks]]:
        docs = await self._contacts.by_phone(org_id, phones, {OUTBOX: 0})
        return {
            key: (contact_from_document(doc), stored_marks(doc))
            for key, doc in docs.items()
            if not doc["deleted"]
        }

    async def save_imported(self, changes: Sequence[ImportedChange]) -> set[str]:
        """Many per round trip. The version guard is in the filter where `_id` filters are
        indexed; stock FerretDB scans the collection for any filter beyond `_id`, so there the
        write goes by `_id` alone right after the read."""
        if not changes:
            return set()
        store = self._contacts.store
        unguarded = not store.ids_indexed
        ops = []
        entries: dict[str, list[Document]] = {}
        for change in changes:
            contact = change.contact
            entries[contact.id] = versioned(
                contact.events, contact.id, contact.org_id, contact.version
            )
            update = outbox_update(entries[contact.id], contact_state(contact))
            _add_mark(update, change.mark, change.marks)
            guard: Document = (
                {} if unguarded else {"org_id": contact.org_id, "version": change.read_version}
            )
            ops.append(UpdateOne({"_id": contact.id, **guard}, update))
        collection = self._contacts.collection
        written = await bulk_write_in_chunks(collection, ops, store.write_batch)
        for change in changes:
            change.contact.events.clear()
        conflicts: set[str] = set()
        if written != len(ops):
            conflicts = await self._not_marked(changes)
        for contact_id, stored in entries.items():
            if contact_id not in conflicts:
                self._contacts.wakeup.written(collection, contact_id, stored)
        return conflicts

    async def mark(self, org_id: str, marks: Sequence[tuple[str, ImportMark, ImportMarks]]) -> None:
        """By `_id` (the contacts were just read as this organisation's). Each import's mark
        has its own key: another import marking the contact meanwhile keeps its own."""
        ops = []
        for contact_id, mark, read in marks:
            update: Document = {}
            _add_mark(update, mark, read)
            ops.append(UpdateOne({"_id": contact_id}, update))
        if ops:
            store = self._contacts.store
            await bulk_write_in_chunks(self._contacts.collection, ops, store.write_batch)

    async def _not_marked(self, changes: Sequence[ImportedChange]) -> set[str]:
        """The contacts whose stored mark is not the one just written: someone else won."""
        org_id = changes[0].contact.org_id
        stored = await self._contacts.find_by_ids(
            [c.contact.id for c in changes], {"org_id": 1, "deleted": 1, IMPORT_MARKS: 1}
        )
        marks = {d["_id"]: stored_marks(d) for d in stored if tenant_document(d, org_id)}
        return {
            c.contact.id
            for c in changes
            if marks.get(c.contact.id, {}).get(c.mark["import_id"]) != c.mark
        }


def stored_marks(doc: Document) -> ImportMarks:
    """The document's marks by import id, oldest first; a store written before `IMPORT_MARKS`
    kept one mark, in `LAST_IMPORT`."""
    marks: dict[str, ImportMark] = {}
    legacy = doc.get(LAST_IMPORT)
    if legacy:
        marks[legacy["import_id"]] = legacy
    marks.update(doc.get(IMPORT_MARKS) or {})
    return marks


def _add_mark(update: Document, mark: ImportMark, read: ImportMarks) -> None:
    """Sets the import's mark under its id, and unsets the oldest of those read beyond
    `MARKS_KEPT`. (A `LAST_IMPORT` mark stays where it is, read as the oldest: its import
    ended long ago, or it is this one and its own key is the newer.)"""
    import_id = mark["import_id"]
    update.setdefault("$set", {})[f"{IMPORT_MARKS}.{import_id}"] = mark
    others = [key for key in read if key != import_id]
    dropped = others[: max(0, len(others) - (MARKS_KEPT - 1))]
    if dropped:
        update["$unset"] = {f"{IMPORT_MARKS}.{key}": "" for key in dropped}
