"""A service's audience copy (`shared.contracts.audience_copy`) on MongoDB: `contacts` (its
copies, in the queryable shape of `shared.mongo.contact_copies`, with the groups each is in),
`groups` (name, blacklisted, staff, the last membership change applied) and `memberships` (who
is in which group, one small document each: a group's members are a range of the `_id` index,
on MongoDB and on the local store alike; see `shared.mongo.memberships`).

Contact events write a copy's state; only membership changes (and a group's deletion) write
its `groups` and the membership index, so the two writers never overwrite each other.

A copy asked who wrote in (the flows service: `by_phone`) keeps a phone directory beside it:
`contact_phones`, `<org>\x1f<phone>` -> contact id, so that a sender is found by `_id` (the local
store indexes nothing else: a search by phone would read every copy, on every inbound message).
An entry is written with each copy holding that phone and never removed: a number that moved to
another contact, or a contact deleted since, is checked against the copy it names.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from pymongo import ASCENDING, IndexModel, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from shared.contactql.mongo_filter import query_filter
from shared.contactql.predicates import Predicate
from shared.contracts.audience_copy import AudienceContact, AudienceGroup
from shared.mongo.client import (
    Document,
    Store,
    bulk_write_in_chunks,
    ensure_indexes,
    insert_unless_present,
)
from shared.mongo.contact_copies import copy_from_document, copy_state
from shared.mongo.memberships import MembershipIndex

PAGE = 1000
CONTACT_INDEXES = [IndexModel([("org_id", ASCENDING), ("_id", ASCENDING)], name="org_contacts")]
BACKFILLED = "\x00backfilled"  # the directory's own marker: every older copy is entered
GROUP_INDEXES = [IndexModel([("org_id", ASCENDING), ("blacklisted", ASCENDING)], name="org_bl")]


def _placeholder(org_id: str, contact_id: str) -> Document:
    return {"_id": contact_id, "org_id": org_id, "version": 0, "gone": False, "fields": {},
            "groups": []}  # fmt: skip


class MongoAudienceProjection:
    def __init__(
        self, db: AsyncDatabase[Document], store: Store, *, by_phone: bool = False
    ) -> None:
        self.contacts = db["contacts"]
        self.phones = db["contact_phones"] if by_phone else None
        self.groups = db["groups"]
        self._store = store
        self.membership_index = MembershipIndex(db["memberships"])

    async def create_indexes(self) -> None:
        await ensure_indexes(self.contacts, CONTACT_INDEXES)
        await ensure_indexes(self.groups, GROUP_INDEXES)
        await self._backfill_phones()

    async def _backfill_phones(self) -> None:
        """Copies stored before the directory existed are entered once, at start."""
        if self.phones is None or await self.phones.find_one({"_id": BACKFILLED}) is not None:
            return
        after = ""
        while page := await self.contacts.find(
            {"_id": {"$gt": after}}, {"org_id": 1, "phone": 1}, sort=[("_id", ASCENDING)],
            limit=PAGE,
        ).to_list():  # fmt: skip
            await self._enter_phones([(d["org_id"], d.get("phone"), d["_id"]) for d in page])
            after = page[-1]["_id"]
        await insert_unless_present(self.phones, [{"_id": BACKFILLED}])

    async def _enter_phones(self, entries: Sequence[tuple[str, str | None, str]]) -> None:
        if self.phones is None:
            return
        ops = [UpdateOne({"_id": _phone_key(org_id, phone)},
                         {"$set": {"contact_id": contact_id}}, upsert=True)
               for org_id, phone, contact_id in entries if phone]  # fmt: skip
        await bulk_write_in_chunks(self.phones, ops, self._store.write_batch)

    # Contacts

    async def get_contacts(self, org_id: str, ids: Sequence[str]) -> dict[str, AudienceContact]:
        docs = await self._store.find_by_ids(self.contacts, list(ids))
        return {
            d["_id"]: copy_from_document(AudienceContact, d) for d in docs if d["org_id"] == org_id
        }

    async def add_contacts(self, contacts: Sequence[AudienceContact]) -> set[str]:
        if not contacts:
            return set()
        docs = [{"_id": c.id, **copy_state(c), "groups": list(c.groups)} for c in contacts]
        refused = await insert_unless_present(self.contacts, docs)
        await self._enter_phones([(c.org_id, c.phone, c.id) for c in contacts])
        return {docs[i]["_id"] for i in refused}

    async def save_contacts(self, contacts: Sequence[AudienceContact]) -> None:
        ops = [
            UpdateOne({"_id": c.id, "version": {"$lt": c.version}}, {"$set": copy_state(c)})
            for c in contacts
        ]
        await bulk_write_in_chunks(self.contacts, ops, self._store.write_batch)
        await self._enter_phones([(c.org_id, c.phone, c.id) for c in contacts])

    async def contacts_by_phone(
        self, org_id: str, phones: Sequence[str]
    ) -> dict[str, AudienceContact]:
        wanted = set(phones)
        if self.phones is None or not wanted:
            return {}
        hints = await self._store.find_by_ids(self.phones, [_phone_key(org_id, p) for p in wanted])
        copies = await self.get_contacts(org_id, [h["contact_id"] for h in hints])
        return {c.phone: c for c in copies.values()
                if c.phone in wanted and c.known and not c.gone}  # fmt: skip

    # Groups

    async def get_groups(self, org_id: str, ids: Sequence[str]) -> dict[str, AudienceGroup]:
        docs = await self._store.find_by_ids(self.groups, list(ids))
        return {d["_id"]: _group(d) for d in docs if d["org_id"] == org_id and not d.get("deleted")}

    async def blacklisted_groups(self, org_id: str) -> frozenset[str]:
        docs = self.groups.find({"org_id": org_id, "blacklisted": True}, {"deleted": 1})
        return frozenset([d["_id"] async for d in docs if not d.get("deleted")])

    async def org_groups(self, org_id: str) -> list[AudienceGroup]:
        docs = self.groups.find({"org_id": org_id})
        return [_group(d) async for d in docs if not d.get("deleted")]

    async def matching_pages(
        self, org_id: str, predicate: Predicate
    ) -> AsyncIterator[list[AudienceContact]]:
        """One scan on the store's scanning connection, so no page waits behind this
        process's writes (see the groups service's smart groups, which read the same way)."""
        query = {"$and": [{"org_id": org_id, "gone": False}, query_filter(predicate)]}
        scanned = self._store.for_scans(self.contacts)
        page: list[AudienceContact] = []
        async for doc in scanned.find(query, sort=[("_id", ASCENDING)], batch_size=PAGE):
            page.append(copy_from_document(AudienceContact, doc))
            if len(page) == PAGE:
                yield page
                page = []
        if page:
            yield page

    async def save_group(self, group: AudienceGroup) -> None:
        state = {"org_id": group.org_id, "name": group.name, "blacklisted": group.blacklisted,
                 "staff": group.staff, "version": group.version}  # fmt: skip
        result = await self.groups.update_one(
            {"_id": group.id, "version": {"$lt": group.version}}, {"$set": state}
        )
        if result.matched_count == 0:
            await insert_unless_present(
                self.groups, [{"_id": group.id, **state, "applied_seq": 0, "deleted": False}]
            )

    async def delete_group(self, org_id: str, group_id: str) -> None:
        """Marked first: a membership change arriving after this is skipped."""
        await self.groups.update_one(
            {"_id": group_id, "org_id": org_id}, {"$set": {"deleted": True, "blacklisted": False}}
        )
        # Its members from the index (a range of `_id`), not by scanning the organisation's
        # copies for the array element, which the local store cannot index.
        after: str | None = None
        while page := await self.membership_index.page(group_id, after, PAGE):
            await self._store.update_by_ids(self.contacts, page, {"$pull": {"groups": group_id}})
            after = page[-1]
        await self.membership_index.remove_group(group_id)

    async def applied_seq(self, group_id: str) -> int:
        doc = await self.groups.find_one({"_id": group_id}, {"applied_seq": 1})
        return int(doc.get("applied_seq") or 0) if doc else 0

    async def record_applied(self, group_id: str, sequence: int) -> None:
        await self.groups.update_one({"_id": group_id}, {"$max": {"applied_seq": sequence}})

    # Memberships

    async def apply_membership(
        self, org_id: str, group_id: str, added: Sequence[str], removed: Sequence[str]
    ) -> None:
        named = list(dict.fromkeys([*added, *removed]))
        if not named:
            return
        known = {d["_id"] for d in await self._store.find_by_ids(self.contacts, named, {"_id": 1})}
        unseen = [i for i in named if i not in known]
        if unseen:
            await insert_unless_present(self.contacts, [_placeholder(org_id, i) for i in unseen])
        if added:
            await self._store.update_by_ids(
                self.contacts, list(added), {"$addToSet": {"groups": group_id}}
            )
            await self.membership_index.add(group_id, list(added))
        if removed:
            await self._store.update_by_ids(
                self.contacts, list(removed), {"$pull": {"groups": group_id}}
            )
            await self.membership_index.remove(group_id, list(removed))

    async def members_page(self, group_id: str, after: str | None, limit: int) -> list[str]:
        return await self.membership_index.page(group_id, after, limit)


def _group(doc: Document) -> AudienceGroup:
    return AudienceGroup(
        id=doc["_id"],
        org_id=doc["org_id"],
        name=doc.get("name", ""),
        blacklisted=bool(doc.get("blacklisted")),
        staff=list(doc.get("staff") or []),
        version=int(doc.get("version") or 0),
        applied_seq=int(doc.get("applied_seq") or 0),
        deleted=bool(doc.get("deleted")),
    )


def _phone_key(org_id: str, phone: str) -> str:
    return f"{org_id}\x1f{phone}"
