"""MongoDB repositories.

Every read fetches its whole result in the first reply (`batch_size`): on FerretDB a server
cursor left open between awaits holds its SQLite connection, and the process's next write on its
single store connection would wait for it forever.

Each write stores an aggregate's new state together with its events in the document's outbox, in
one single-document update: the only atomicity every supported store offers.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, OperationFailure

from services.contacts.adapters.documents import (
    contact_from_document,
    contact_state,
    organization_from_document,
    organization_state,
    phone_key,
)
from services.contacts.adapters.phone_directory import PhoneDirectory
from services.contacts.domain.errors import DuplicatePhone, VersionConflict
from services.contacts.domain.model import Contact
from services.contacts.domain.organization import Organization
from shared.contactql.mongo_filter import query_filter
from shared.contactql.predicates import Predicate
from shared.contracts.contacts import ContactUpdated
from shared.contracts.envelope import EventPayload
from shared.mongo.client import (
    DUPLICATE_KEY,
    FERRETDB_WRITE_BATCH,
    Document,
    Store,
    bulk_write_in_chunks,
    ensure_indexes,
    is_duplicate_key,
    membership_page,
)
from shared.mongo.outbox import (
    OUTBOX,
    OUTBOX_INDEX,
    PURGE,
    OutboxWakeup,
    outbox_update,
    versioned_entries,
)

SOURCE = "roster/contacts"
# Which import row last wrote the contact: `{"import_id", "row", "outcome"}`. It makes a
# redelivered batch report what it did the first time, and finds a phone repeated in one file.
LAST_IMPORT = "last_import"
ImportMark = dict[str, Any]

CONTACT_INDEXES = [
    IndexModel([("org_id", ASCENDING), ("phone_key", ASCENDING)], unique=True, name="org_phone"),
    IndexModel(
        [
            ("org_id", ASCENDING),
            ("status", ASCENDING),
            ("created_at", DESCENDING),
            ("_id", DESCENDING),
        ],
        name="org_status_created",
    ),
    IndexModel([("org_id", ASCENDING), ("groups", ASCENDING)], name="org_groups"),
    IndexModel([("org_id", ASCENDING), ("category", ASCENDING)], name="org_category"),
    OUTBOX_INDEX,
]

SORTS: dict[str, tuple[str, int]] = {
    "created_at": ("created_at", ASCENDING),
    "-created_at": ("created_at", DESCENDING),
    "updated_at": ("updated_at", ASCENDING),
    "-updated_at": ("updated_at", DESCENDING),
    "name": ("name_sort", ASCENDING),
    "-name": ("name_sort", DESCENDING),
}


@dataclass(frozen=True)
class ContactFilter:
    status: str | None = "active"
    q: str | None = None
    category: str | None = None
    group: str | None = None
    query: Predicate | None = None
    # Restricted staff: only contacts in one of these groups (None: no restriction).
    within_groups: tuple[str, ...] | None = None


def _entries(
    events: Sequence[EventPayload], subject: str, org_id: str, sequence: int
) -> list[Document]:
    return versioned_entries(
        events, source=SOURCE, subject=subject, org_id=org_id, version=sequence
    )


class ContactRepository:
    def __init__(
        self,
        db: AsyncDatabase[Document],
        wakeup: OutboxWakeup | None = None,
        store: Store | None = None,
        *,
        phone_hints: bool | None = None,
    ) -> None:
        """`phone_hints`: find contacts by phone through a `PhoneDirectory` (default: on
        FerretDB, whose only index is `_id`)."""
        self.collection = db["contacts"]
        self._wakeup = wakeup or OutboxWakeup()
        self._store = store
        self._write_batch = store.write_batch if store else FERRETDB_WRITE_BATCH
        if phone_hints is None:
            phone_hints = store is not None and store.ferretdb
        self._phones = (
            PhoneDirectory(db["contact_phones"], store) if phone_hints and store else None
        )

    async def create_indexes(self) -> None:
        await ensure_indexes(self.collection, CONTACT_INDEXES)

    async def get(self, org_id: str, contact_id: str) -> Contact | None:
        """Looked up by `_id` alone, then checked for tenant and tombstone here: FerretDB answers
        an `_id`-only filter from its primary key but scans the collection for anything more."""
        doc = await self.collection.find_one({"_id": contact_id}, {OUTBOX: 0})
        if doc is None or doc["org_id"] != org_id or doc["deleted"]:
            return None
        return contact_from_document(doc)

    async def get_many(self, org_id: str, ids: Sequence[str]) -> dict[str, Contact]:
        docs = await self._find(ids, {OUTBOX: 0})
        return {
            doc["_id"]: contact_from_document(doc)
            for doc in docs
            if doc["org_id"] == org_id and not doc["deleted"]
        }

    async def _find(self, ids: Sequence[str], projection: Document) -> builtins.list[Document]:
        if self._store is not None:
            return await self._store.find_by_ids(self.collection, ids, projection)
        return await self.collection.find(
            {"_id": {"$in": list(ids)}}, projection, batch_size=len(ids) + 1
        ).to_list()

    async def ids_by_phone(self, org_id: str, phones: Sequence[str]) -> dict[str, str]:
        """Phone key → id of the contact holding it (a deleted contact's tombstone included)."""
        docs = await self._by_phone(org_id, phones, {"_id": 1})
        return {key: doc["_id"] for key, doc in docs.items()}

    async def _by_phone(
        self, org_id: str, phones: Sequence[str], projection: Document
    ) -> dict[str, Document]:
        """Phone key → stored document. With phone hints, each hint is checked against the
        document it names; phones left over are searched by the `org_phone` index (a scan on
        FerretDB) and their hints recorded, so the next lookup goes by `_id`."""
        wanted = set(phones)
        if all(projection.values()):  # an inclusion: add what the check needs
            projection = {**projection, "org_id": 1, "phone_key": 1}
        found: dict[str, Document] = {}
        if self._phones is not None:
            hints = await self._phones.hints(org_id, list(wanted))
            for doc in await self._find(list(hints.values()), projection):
                key = doc.get("phone_key")
                if doc.get("org_id") == org_id and key in wanted and hints.get(key) == doc["_id"]:
                    found[key] = doc
        missing = [key for key in wanted if key not in found]
        if not missing:
            return found
        searched = await self.collection.find(
            {"org_id": org_id, "phone_key": {"$in": missing}},
            projection,
            batch_size=len(missing) + 1,
        ).to_list()
        for doc in searched:
            found[doc["phone_key"]] = doc
        if self._phones is not None:
            await self._phones.record(org_id, [(d["phone_key"], d["_id"]) for d in searched])
        return found

    async def _record_phones(self, contacts: Sequence[Contact]) -> None:
        if self._phones is not None and contacts:
            holders = [(phone_key(c), c.id) for c in contacts]
            await self._phones.record(contacts[0].org_id, holders)

    def _new_document(
        self, contact: Contact, mark: ImportMark | None = None, *, with_events: bool = True
    ) -> Document:
        doc = {
            "_id": contact.id,
            **contact_state(contact),
            "groups": [],
            OUTBOX: self.created_entries([contact]) if with_events else [],
        }
        if mark is not None:
            doc[LAST_IMPORT] = mark
        return doc

    @staticmethod
    def created_entries(contacts: Sequence[Contact]) -> list[Document]:
        """The outbox entries announcing new contacts: their pending events, or for a stored
        contact its `ContactCreated` again (version 1)."""
        entries: list[Document] = []
        for c in contacts:
            if c.events:
                entries += _entries(c.events, c.id, c.org_id, c.version)
            else:
                entries += _entries([c.created_event()], c.id, c.org_id, 1)
        return entries

    async def add(self, contact: Contact) -> None:
        doc = self._new_document(contact)
        try:
            await self.collection.insert_one(doc)
        except OperationFailure as exc:
            if not is_duplicate_key(exc):
                raise
            existing = await self.ids_by_phone(contact.org_id, [phone_key(contact)])
            raise DuplicatePhone(
                "a contact with this phone already exists",
                existing_id=existing.get(phone_key(contact)),
                phone=contact.phone,
            ) from None
        contact.events.clear()
        self._wakeup.written(self.collection, doc["_id"], doc[OUTBOX])
        await self._record_phones([contact])

    async def add_many(
        self,
        contacts: Sequence[Contact],
        marks: Sequence[ImportMark] | None = None,
        *,
        with_events: bool = True,
        name_existing: bool = True,
    ) -> dict[int, DuplicatePhone]:
        """Inserts in one round trip; returns positions refused as duplicates of stored phones
        (with the stored contact's id unless `name_existing=False`, for a caller that reads
        those contacts next anyway). An import marks each contact with the row that created it
        (see `LAST_IMPORT`) and stores the new contacts' events itself (`with_events=False`,
        see `created_entries`): one document for a batch's events instead of a pull from every
        new contact."""
        if not contacts:
            return {}
        duplicates: list[int] = []
        docs = [
            self._new_document(c, marks[i] if marks else None, with_events=with_events)
            for i, c in enumerate(contacts)
        ]
        try:
            await self.collection.insert_many(docs, ordered=False)
        except BulkWriteError as exc:
            for error in exc.details.get("writeErrors", []):
                if error.get("code") != DUPLICATE_KEY:
                    raise
                duplicates.append(error["index"])
        refused = set(duplicates)
        for i, doc in enumerate(docs):
            if i not in refused:
                self._wakeup.written(self.collection, doc["_id"], doc[OUTBOX])
        await self._record_phones([c for i, c in enumerate(contacts) if i not in refused])
        if not duplicates:
            return {}
        if not name_existing:
            return {
                i: DuplicatePhone("a contact with this phone already exists", phone=c.phone)
                for i, c in enumerate(contacts)
                if i in refused
            }
        org_id = contacts[0].org_id
        existing = await self.ids_by_phone(org_id, [phone_key(contacts[i]) for i in duplicates])
        return {
            i: DuplicatePhone(
                "a contact with this phone already exists",
                existing_id=existing.get(phone_key(contacts[i])),
                phone=contacts[i].phone,
            )
            for i in duplicates
        }

    async def find_for_import(
        self, org_id: str, phones: Sequence[str]
    ) -> dict[str, tuple[Contact, ImportMark | None]]:
        """Phone → the contact holding it, with the mark of the import row that last wrote it."""
        docs = await self._by_phone(org_id, phones, {OUTBOX: 0})
        return {
            key: (contact_from_document(doc), doc.get(LAST_IMPORT))
            for key, doc in docs.items()
            if not doc["deleted"]
        }

    async def save_imported(self, changes: Sequence[tuple[Contact, int, ImportMark]]) -> set[str]:
        """Stores imported changes with the row's mark, many per round trip; returns the ids
        that someone else changed since they were read (not stored). The version guard is in
        the filter where `_id` filters are indexed; stock FerretDB scans the collection for any
        filter beyond `_id`, so there the write goes by `_id` alone right after the read."""
        unguarded = self._store is not None and not self._store.ids_indexed
        ops = []
        entries: dict[str, list[Document]] = {}
        for contact, read_version, mark in changes:
            entries[contact.id] = _entries(
                contact.events, contact.id, contact.org_id, contact.version
            )
            update = outbox_update(
                entries[contact.id], {**contact_state(contact), LAST_IMPORT: mark}
            )
            guard: Document = (
                {} if unguarded else {"org_id": contact.org_id, "version": read_version}
            )
            ops.append(UpdateOne({"_id": contact.id, **guard}, update))
        if not ops:
            return set()
        written = await bulk_write_in_chunks(self.collection, ops, self._write_batch)
        for contact, _, _ in changes:
            contact.events.clear()
        conflicts: set[str] = set()
        if written != len(ops):
            stored = await self._find(
                [c.id for c, _, _ in changes], {"org_id": 1, "deleted": 1, LAST_IMPORT: 1}
            )
            org_id = changes[0][0].org_id
            marks = {
                d["_id"]: d.get(LAST_IMPORT)
                for d in stored
                if d["org_id"] == org_id and not d["deleted"]
            }
            conflicts = {c.id for c, _, mark in changes if marks.get(c.id, {}) != mark}
        for contact_id, stored in entries.items():
            if contact_id not in conflicts:
                self._wakeup.written(self.collection, contact_id, stored)
        return conflicts

    async def save(self, contact: Contact, expected_version: int) -> None:
        """Stores the change only if nobody saved the contact since it was read."""
        if not contact.events:
            return
        state = contact_state(contact)
        if contact.deleted:
            # A tombstone: the relay deletes the document once ContactDeleted is published.
            state[PURGE] = True
        entries = _entries(contact.events, contact.id, contact.org_id, contact.version)
        update = outbox_update(entries, state)
        try:
            result = await self.collection.update_one(
                {"_id": contact.id, "org_id": contact.org_id, "version": expected_version}, update
            )
        except OperationFailure as exc:
            if not is_duplicate_key(exc):
                raise
            existing = await self.ids_by_phone(contact.org_id, [phone_key(contact)])
            raise DuplicatePhone(
                "a contact with this phone already exists",
                existing_id=existing.get(phone_key(contact)),
                phone=contact.phone,
            ) from None
        if result.matched_count == 0:
            raise VersionConflict(
                "the contact was changed by someone else", expected_version=expected_version
            )
        renumbered = any(isinstance(e, ContactUpdated) and e.phone for e in contact.events)
        contact.events.clear()
        self._wakeup.written(self.collection, contact.id, entries, purge=contact.deleted)
        if renumbered:
            await self._record_phones([contact])

    async def list(
        self,
        org_id: str,
        flt: ContactFilter,
        *,
        sort: str,
        after: tuple[Any, str] | None,
        limit: int,
    ) -> list[Contact]:
        field, direction = SORTS[sort]
        query = _filter_document(org_id, flt)
        if after is not None:
            op = "$gt" if direction == ASCENDING else "$lt"
            keyset = {"$or": [{field: {op: after[0]}}, {field: after[0], "_id": {op: after[1]}}]}
            query = {"$and": [query, keyset]}
        cursor = self.collection.find(
            query,
            {OUTBOX: 0},
            sort=[(field, direction), ("_id", direction)],
            limit=limit,
            batch_size=limit,
        )
        return [contact_from_document(doc) async for doc in cursor]

    async def count(self, org_id: str, flt: ContactFilter) -> int:
        return await self.collection.count_documents(_filter_document(org_id, flt))

    async def with_field_value(
        self, org_id: str, key: str, *, other_than_type: str | None, limit: int
    ) -> Sequence[Contact]:
        """Contacts holding a value for `key` (stored as another type than `other_than_type`)."""
        query: Document = {"org_id": org_id, "deleted": False, f"fields.{key}": {"$exists": True}}
        if other_than_type is not None:
            query[f"fields.{key}.type"] = {"$ne": other_than_type}
        docs = await self.collection.find(
            query, {OUTBOX: 0}, limit=limit, batch_size=limit
        ).to_list()
        return [contact_from_document(doc) for doc in docs]

    async def apply_membership(
        self,
        org_id: str,
        group_id: str,
        sequence: int,
        added: Sequence[str],
        removed: Sequence[str],
    ) -> None:
        """Applied as announced: the groups service decides who may join (and announces a
        removal for a contact it refused). Version-guarded: a contact ignores a membership
        event older than the last it applied for that group. The guard is in the filter where
        `_id` filters are indexed; stock FerretDB scans the collection for any filter beyond
        `_id`, so there the contacts are read by id first (only this consumer writes `groups`)."""
        seq_field = f"group_seq.{group_id}"
        changes: list[tuple[Sequence[str], Document]] = [
            (added, {"$addToSet": {"groups": group_id}, "$set": {seq_field: sequence}}),
            (removed, {"$pull": {"groups": group_id}, "$set": {seq_field: sequence}}),
        ]
        guard: Document = {
            "org_id": org_id,
            "$or": [{seq_field: {"$exists": False}}, {seq_field: {"$lt": sequence}}],
        }
        if self._store is None or self._store.ids_indexed:
            for ids, change in changes:
                if ids:
                    await self._update_by_ids(ids, change, guard)
            return
        wanted = {"org_id": 1, seq_field: 1}
        docs = await self._store.find_by_ids(self.collection, [*added, *removed], wanted)
        newer = {
            d["_id"]
            for d in docs
            if d["org_id"] == org_id and int((d.get("group_seq") or {}).get(group_id, 0)) < sequence
        }
        for ids, change in changes:
            await self._store.update_by_ids(self.collection, [i for i in ids if i in newer], change)

    async def _update_by_ids(self, ids: Sequence[str], update: Document, guard: Document) -> None:
        if self._store is not None:
            await self._store.update_by_ids(self.collection, ids, update, guard)
        else:
            await self.collection.update_many({"_id": {"$in": list(ids)}, **guard}, update)

    async def memberships(
        self, org_id: str, after: str | None, limit: int
    ) -> builtins.list[tuple[str, builtins.list[str]]]:
        """Contacts in at least one group, with their groups, in id order."""
        return await membership_page(self.collection, org_id, after, limit)

    async def remove_group(self, org_id: str, group_id: str) -> None:
        """The group was deleted: no contact is in it any more."""
        await self.collection.update_many(
            {"org_id": org_id, "groups": group_id}, {"$pull": {"groups": group_id}}
        )


class OrganizationRepository:
    def __init__(self, db: AsyncDatabase[Document], wakeup: OutboxWakeup | None = None) -> None:
        self.collection = db["organizations"]
        self._wakeup = wakeup or OutboxWakeup()

    async def get_or_create(self, org_id: str) -> Organization:
        """An organisation exists from its first authenticated request, with default settings."""
        defaults = organization_state(Organization(id=org_id))
        doc = await self.collection.find_one_and_update(
            {"_id": org_id},
            {"$setOnInsert": {**defaults, OUTBOX: []}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )  # no projection: FerretDB does not implement it for findAndModify
        assert doc is not None  # upserted and returned after the update
        return organization_from_document(doc)

    async def save(self, org: Organization, expected_version: int) -> None:
        if not org.events:
            return
        entries = _entries(org.events, org.id, org.id, org.version)
        update = outbox_update(entries, organization_state(org))
        result = await self.collection.update_one(
            {"_id": org.id, "version": expected_version}, update
        )
        if result.matched_count == 0:
            raise VersionConflict("the organisation settings were changed by someone else")
        org.events.clear()
        self._wakeup.written(self.collection, org.id, entries)


def _filter_document(org_id: str, flt: ContactFilter) -> Document:
    """Always scoped to the organisation and never a deleted contact's tombstone."""
    query: Document = {"org_id": org_id, "deleted": False}
    if flt.status:
        query["status"] = flt.status
    if flt.category:
        query["category"] = flt.category
    if flt.group:
        query["groups"] = flt.group
    if flt.q:
        pattern = {"$regex": re.escape(flt.q.strip()), "$options": "i"}
        query["$or"] = [{"name": pattern}, {"phone": pattern}, {"email": pattern}]
    if flt.query is not None:
        query = {"$and": [query, query_filter(flt.query)]}
    if flt.within_groups is not None:
        query = {"$and": [query, {"groups": {"$in": list(flt.within_groups)}}]}
    return query
