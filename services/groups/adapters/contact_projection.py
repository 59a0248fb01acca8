"""The groups service's own copy of contacts (from `roster.contacts`), with their memberships.

Documents have the queryable shape of `shared.contactql.documents`, so one contactql filter
selects members here as in the contacts service; `groups` holds the ids of the groups the contact
is in, written by the consumer that applies `GroupMembershipChanged`, in event order, and at
first by the import that created the contact in its groups (`ContactCreated.groups`, or the
placeholder an import's membership event entered). Only that consumer lists members in the
membership index, so the index says who was counted (see `add_to_group`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from pymongo import ASCENDING, IndexModel, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from services.groups.domain.member import MEMBER_STATUS, MemberContact
from shared.contactql.mongo_filter import query_filter
from shared.contactql.predicates import Predicate
from shared.mongo.client import (
    Document,
    Store,
    bulk_write_in_chunks,
    ensure_indexes,
    insert_unless_present,
    membership_page,
)
from shared.mongo.contact_copies import copy_from_document, copy_state
from shared.mongo.memberships import MembershipIndex

PAGE = 1000
# What deciding a membership reads of a contact.
_MEMBERSHIP_FIELDS = {"org_id": 1, "status": 1, "gone": 1, "groups": 1}

PROJECTION_INDEXES = [
    IndexModel([("org_id", ASCENDING), ("groups", ASCENDING), ("_id", ASCENDING)], name="members"),
    IndexModel([("org_id", ASCENDING), ("_id", ASCENDING)], name="org_contacts"),
]


def _state(contact: MemberContact) -> Document:
    return copy_state(contact)


def _placeholder(contact_id: str, org_id: str, *, gone: bool, groups: list[str]) -> Document:
    """A contact this copy has not seen yet (version 0: its events fill it in)."""
    return {"_id": contact_id, "org_id": org_id, "status": MEMBER_STATUS, "version": 0,
            "gone": gone, "fields": {}, "groups": groups}  # fmt: skip


def _contact(doc: Document) -> MemberContact:
    return copy_from_document(MemberContact, doc)


class MongoContactProjection:
    def __init__(self, db: AsyncDatabase[Document], store: Store) -> None:
        self.collection = db["contacts"]
        self._store = store
        # Each group's members, by `_id` (see `shared.mongo.memberships`).
        self.membership_index = MembershipIndex(db["memberships"])

    async def create_indexes(self) -> None:
        await ensure_indexes(self.collection, PROJECTION_INDEXES)
        await self.membership_index.backfill(self.collection)

    async def get(self, org_id: str, contact_id: str) -> MemberContact | None:
        doc = await self.collection.find_one({"_id": contact_id})
        if doc is None or doc["org_id"] != org_id:
            return None
        return _contact(doc)

    async def get_many(self, org_id: str, ids: Sequence[str]) -> dict[str, MemberContact]:
        docs = await self._store.find_by_ids(self.collection, ids)
        return {doc["_id"]: _contact(doc) for doc in docs if doc["org_id"] == org_id}

    async def save(self, contact: MemberContact) -> None:
        """Everything but `groups`, which only the membership consumer writes."""
        await self.collection.update_one(
            {"_id": contact.id},
            {"$set": _state(contact), "$setOnInsert": {"groups": []}},
            upsert=True,
        )

    async def save_many(self, contacts: Sequence[MemberContact]) -> None:
        """`save` for many, in one round trip."""
        ops = [
            UpdateOne(
                {"_id": c.id}, {"$set": _state(c), "$setOnInsert": {"groups": []}}, upsert=True
            )
            for c in contacts
        ]
        await bulk_write_in_chunks(self.collection, ops, self._store.write_batch)

    async def add_many(self, contacts: Sequence[MemberContact]) -> set[str]:
        """New contacts in one round trip, in the groups they were created in; returns the
        ids that were already there."""
        docs = [{"_id": c.id, **_state(c), "groups": list(c.groups)} for c in contacts]
        refused = await insert_unless_present(self.collection, docs)
        return {docs[i]["_id"] for i in refused}

    async def add_to_group(
        self, org_id: str, group_id: str, ids: Sequence[str], *, enter_unseen: bool = False
    ) -> tuple[int, list[str]]:
        """Adds the contacts that may be members right now; returns how many joined (were not
        listed in the membership index yet) and the ids refused (unknown, gone, or not active).
        Read first, then written by `_id` (see `Store.update_by_ids`): this consumer is the
        only writer of `groups` once a contact is projected, so nothing changes them in
        between. A contact created in the group already holds it in `groups`.

        With `enter_unseen`, the contacts not projected yet are entered as placeholders here,
        where they are read anyway, rather than when the import's batch came: by now most
        `ContactCreated` have arrived, and a placeholder costs an insert that fails and a
        read and an update when its contact's event comes."""
        docs = await self._store.find_by_ids(self.collection, ids, _MEMBERSHIP_FIELDS)
        found = {d["_id"]: _contact(d) for d in docs if d["org_id"] == org_id}
        if enter_unseen:
            seen = {d["_id"] for d in docs}
            unseen = [i for i in ids if i not in seen]
            found |= await self.enter_placeholders(org_id, group_id, unseen)
        refused = [i for i in ids if i not in found or not found[i].can_be_member]
        members = [i for i in ids if i in found and found[i].can_be_member]
        joining = [i for i in members if group_id not in found[i].groups]
        await self._store.update_by_ids(
            self.collection, joining, {"$addToSet": {"groups": group_id}}
        )
        # Every member, not only those joining: after a crash between these two writes, the
        # redelivered change finds them in `groups` already.
        joined = await self.membership_index.add(group_id, members)
        return joined, refused

    async def enter_placeholders(
        self, org_id: str, group_id: str, ids: Sequence[str]
    ) -> dict[str, MemberContact]:
        """Active placeholders, in `group_id` already (an update per contact saved: on the
        local store one costs about as much as thirty inserted documents); a contact whose
        `ContactCreated` was projected meanwhile is read as it is now instead."""
        unseen = list(dict.fromkeys(ids))
        docs = [_placeholder(i, org_id, gone=False, groups=[group_id]) for i in unseen]
        if not docs:
            return {}
        refused = await insert_unless_present(self.collection, docs)
        entered = {unseen[n]: _contact(d) for n, d in enumerate(docs) if n not in refused}
        if refused:
            taken = [unseen[n] for n in refused]
            current = await self._store.find_by_ids(self.collection, taken, _MEMBERSHIP_FIELDS)
            entered |= {d["_id"]: _contact(d) for d in current if d["org_id"] == org_id}
        return entered

    async def remove_from_group(self, org_id: str, group_id: str, ids: Sequence[str]) -> int:
        """By `_id`; the ids come from the group's own events. Returns how many were listed.
        A contact not projected yet is entered as a gone placeholder, so that its late
        `ContactCreated` does not bring back the group it was created in."""
        if not ids:
            return 0
        docs = await self._store.find_by_ids(self.collection, ids, {"_id": 1})
        unseen = set(ids) - {d["_id"] for d in docs}
        if unseen:
            await insert_unless_present(
                self.collection,
                [_placeholder(i, org_id, gone=True, groups=[]) for i in sorted(unseen)],
            )
        await self._store.update_by_ids(self.collection, ids, {"$pull": {"groups": group_id}})
        return await self.membership_index.remove(group_id, ids)

    async def remove_group(self, org_id: str, group_id: str) -> int:
        result = await self.collection.update_many(
            {"org_id": org_id, "groups": group_id}, {"$pull": {"groups": group_id}}
        )
        await self.membership_index.remove_group(group_id)
        return result.modified_count

    async def members(
        self, org_id: str, group_id: str, *, after: str | None, limit: int
    ) -> list[MemberContact]:
        """A range of the membership index, then those contacts by `_id`: the work is the
        page's, however large the group or the organisation."""
        ids = await self.membership_index.page(group_id, after, limit)
        docs = await self._store.find_by_ids(self.collection, ids)
        by_id = {doc["_id"]: doc for doc in docs if doc["org_id"] == org_id}
        return [_contact(by_id[i]) for i in ids if i in by_id]

    async def member_pages(self, org_id: str, group_id: str) -> AsyncIterator[list[MemberContact]]:
        """Every member in id order, a page at a time (an export): a query per page, which
        the membership index answers, so a slow reader holds no cursor."""
        after: str | None = None
        while page := await self.members(org_id, group_id, after=after, limit=PAGE):
            yield page
            after = page[-1].id

    async def count_members(self, org_id: str, group_id: str) -> int:
        return await self.membership_index.count(group_id)

    async def groups_of(self, org_id: str, contact_id: str) -> list[str] | None:
        contact = await self.get(org_id, contact_id)
        return None if contact is None or contact.gone else contact.groups

    async def pages(
        self,
        org_id: str,
        *,
        group_id: str | None = None,
        predicate: Predicate | None = None,
        after: str | None = None,
    ) -> AsyncIterator[list[MemberContact]]:
        """Every matching contact, a page at a time, in id order, from one scan on the store's
        scanning connection: no page waits behind this process's writes, and on FerretDB
        (where every filter scans the collection) the collection is read once, not per page."""
        query: Document = (
            self._in_group(org_id, group_id) if group_id else {"org_id": org_id, "gone": False}
        )
        if after is not None:
            query = {**query, "_id": {"$gt": after}}
        if predicate is not None:
            query = {"$and": [query, query_filter(predicate)]}
        scanned = self._store.for_scans(self.collection)
        page: list[MemberContact] = []
        async for doc in scanned.find(query, sort=[("_id", ASCENDING)], batch_size=PAGE):
            page.append(_contact(doc))
            if len(page) == PAGE:
                yield page
                page = []
        if page:
            yield page

    async def memberships(
        self, org_id: str, after: str | None, limit: int
    ) -> list[tuple[str, list[str]]]:
        """Contacts in at least one group, with their groups, in id order."""
        return await membership_page(self.collection, org_id, after, limit)

    def _in_group(self, org_id: str, group_id: str) -> Document:
        return {"org_id": org_id, "groups": group_id}
