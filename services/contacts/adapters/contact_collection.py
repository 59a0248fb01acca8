"""The `contacts` collection as the three contact adapters share it: the aggregate's repository,
the import's writes and the membership projection each own a job, and all of them go through
here for what is the collection's, not theirs: documents, indexes, lookups by id and by phone,
inserts that tell duplicates apart, and the outbox entries announcing new contacts.

Every read fetches its whole result in the first reply (`batch_size`): on FerretDB a server
cursor left open between awaits holds its SQLite connection.
"""

from __future__ import annotations

from collections.abc import Sequence

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from services.contacts.adapters.documents import contact_state, phone_key
from services.contacts.adapters.phone_directory import PhoneDirectory
from services.contacts.domain.errors import DuplicatePhone
from services.contacts.domain.model import Contact
from services.contacts.service_layer.ports import ImportMark
from shared.contracts.envelope import EventPayload
from shared.mongo.client import DUPLICATE_KEY, Document, Store, ensure_indexes
from shared.mongo.memberships import MembershipIndex
from shared.mongo.outbox import OUTBOX, OUTBOX_INDEX, OutboxWakeup, versioned_entries

SOURCE = "roster/contacts"
# The marks of the imports that last wrote or saw the contact, by import id (see `ImportMarks`).
IMPORT_MARKS = "import_marks"
# Where a store written before `IMPORT_MARKS` holds the one mark it kept.
LAST_IMPORT = "last_import"
# The attribute each membership carries for pages of a group in that order: it never changes.
MEMBERS_ORDER_KEY = "created_at"


def _listing(name: str, field: str, direction: int) -> IndexModel:
    """A page of an organisation's contacts of one status in one sort order (see
    `domain/listing.py`: `_id` breaks ties in the sort's direction), read from the index
    and stopped at the page's end, on MongoDB and on the local store."""
    return IndexModel(
        [
            ("org_id", ASCENDING),
            ("deleted", ASCENDING),
            ("status", ASCENDING),
            (field, direction),
            ("_id", direction),
        ],
        name=name,
    )


CONTACT_INDEXES = [
    IndexModel([("org_id", ASCENDING), ("phone_key", ASCENDING)], unique=True, name="org_phone"),
    _listing("list_by_created", "created_at", DESCENDING),
    _listing("list_by_updated", "updated_at", DESCENDING),
    _listing("list_by_name", "name_sort", ASCENDING),
    IndexModel([("org_id", ASCENDING), ("category", ASCENDING)], name="org_category"),
    OUTBOX_INDEX,
]
# Replaced by the `list_by_*` indexes and the membership index.
RETIRED_INDEXES = ["org_status_created", "org_groups"]


def versioned(
    events: Sequence[EventPayload], subject: str, org_id: str, version: int
) -> list[Document]:
    """Outbox entries of one change of a contact (or an organisation) of this service."""
    return versioned_entries(events, source=SOURCE, subject=subject, org_id=org_id, version=version)


def created_entries(contacts: Sequence[Contact]) -> list[Document]:
    """The outbox entries announcing new contacts: their pending events, or for a stored
    contact its `ContactCreated` again (version 1)."""
    entries: list[Document] = []
    for c in contacts:
        if c.events:
            entries += versioned(c.events, c.id, c.org_id, c.version)
        else:
            entries += versioned([c.created_event()], c.id, c.org_id, 1)
    return entries


def new_document(
    contact: Contact, mark: ImportMark | None = None, *, with_events: bool = True
) -> Document:
    """A new contact's document; `groups` is the membership projection's: empty, or the groups
    an import created the contact in."""
    doc = {
        "_id": contact.id,
        **contact_state(contact),
        "groups": list(contact.groups),
        OUTBOX: created_entries([contact]) if with_events else [],
    }
    if mark is not None:
        doc[IMPORT_MARKS] = {mark["import_id"]: mark}
    return doc


class ContactCollection:
    def __init__(
        self,
        db: AsyncDatabase[Document],
        store: Store,
        wakeup: OutboxWakeup,
        *,
        phone_hints: bool | None = None,
    ) -> None:
        """`phone_hints`: find contacts by phone through a `PhoneDirectory` (default: on stock
        FerretDB, whose only index is `_id`; the project's build answers the `org_phone` index
        as MongoDB does, and a hint would only cost one more write per new contact)."""
        self.collection = db["contacts"]
        self.store = store
        self.wakeup = wakeup
        if phone_hints is None:
            phone_hints = store.ferretdb and not store.ids_indexed
        self.phones = PhoneDirectory(db["contact_phones"], store) if phone_hints else None
        # Each group's members, by `_id` and in the default listing order (see
        # `shared.mongo.memberships`).
        self.membership_index = MembershipIndex(db["memberships"], order_key=MEMBERS_ORDER_KEY)

    async def create_indexes(self) -> None:
        await ensure_indexes(self.collection, CONTACT_INDEXES, RETIRED_INDEXES)
        await self.membership_index.create_indexes()
        await self.membership_index.backfill(self.collection)

    async def find_by_ids(self, ids: Sequence[str], projection: Document) -> list[Document]:
        return await self.store.find_by_ids(self.collection, ids, projection)

    async def ids_by_phone(self, org_id: str, phones: Sequence[str]) -> dict[str, str]:
        """Phone key → id of the contact holding it (a deleted contact's tombstone included)."""
        docs = await self.by_phone(org_id, phones, {"_id": 1})
        return {key: doc["_id"] for key, doc in docs.items()}

    async def by_phone(
        self, org_id: str, phones: Sequence[str], projection: Document
    ) -> dict[str, Document]:
        """Phone key → stored document. With phone hints, each hint is checked against the
        document it names; phones left over are searched by the `org_phone` index (a scan on
        FerretDB) and their hints recorded, so the next lookup goes by `_id`."""
        wanted = set(phones)
        if all(projection.values()):  # an inclusion: add what the check needs
            projection = {**projection, "org_id": 1, "phone_key": 1}
        found: dict[str, Document] = {}
        if self.phones is not None:
            hints = await self.phones.hints(org_id, list(wanted))
            for doc in await self.find_by_ids(list(hints.values()), projection):
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
        if self.phones is not None:
            await self.phones.record(org_id, [(d["phone_key"], d["_id"]) for d in searched])
        return found

    async def record_phones(self, contacts: Sequence[Contact]) -> None:
        if self.phones is not None and contacts:
            holders = [(phone_key(c), c.id) for c in contacts]
            await self.phones.record(contacts[0].org_id, holders)

    async def insert_new(self, contacts: Sequence[Contact], docs: Sequence[Document]) -> set[int]:
        """Inserts in one round trip; returns the positions refused because their phone is
        taken. The others' events are handed to the relay, and their phones recorded."""
        duplicates: set[int] = set()
        try:
            await self.collection.insert_many(list(docs), ordered=False)
        except BulkWriteError as exc:
            for error in exc.details.get("writeErrors", []):
                if error.get("code") != DUPLICATE_KEY:
                    raise
                duplicates.add(error["index"])
        for i, doc in enumerate(docs):
            if i not in duplicates:
                self.wakeup.written(self.collection, doc["_id"], doc[OUTBOX])
        await self.record_phones([c for i, c in enumerate(contacts) if i not in duplicates])
        return duplicates

    async def duplicates_of(self, contacts: Sequence[Contact]) -> list[DuplicatePhone]:
        """The refusals of these contacts' phones (of one organisation), each naming the
        contact that holds it, from one lookup."""
        if not contacts:
            return []
        existing = await self.ids_by_phone(contacts[0].org_id, [phone_key(c) for c in contacts])
        return [
            DuplicatePhone(
                "a contact with this phone already exists",
                existing_id=existing.get(phone_key(c)),
                phone=c.phone,
            )
            for c in contacts
        ]


def tenant_document(doc: Document | None, org_id: str) -> Document | None:
    """The document if it is a live contact of `org_id`: lookups go by `_id` alone (FerretDB
    answers an `_id`-only filter from its primary key but scans for anything more) and check
    the tenant and the tombstone here."""
    if doc is None or doc["org_id"] != org_id or doc["deleted"]:
        return None
    return doc
