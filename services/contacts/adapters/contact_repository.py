"""The Contact aggregate in MongoDB: each write stores the contact's new state together with its
events in the document's outbox, in one single-document update (the only atomicity every
supported store offers)."""

from __future__ import annotations

import builtins
import re
from collections.abc import Sequence
from typing import Any

from pymongo.errors import OperationFailure

from services.contacts.adapters.contact_collection import (
    MEMBERS_ORDER_KEY,
    ContactCollection,
    new_document,
    tenant_document,
    versioned,
)
from services.contacts.adapters.documents import contact_from_document, contact_state
from services.contacts.domain.errors import DuplicatePhone, VersionConflict
from services.contacts.domain.listing import SORTS, ContactFilter
from services.contacts.domain.model import Contact
from shared.contactql.mongo_filter import query_filter
from shared.contactql.predicates import required_group
from shared.contracts.contacts import ContactUpdated
from shared.mongo.client import IDS_PER_QUERY, Document, count_matching, is_duplicate_key
from shared.mongo.outbox import OUTBOX, PURGE, outbox_update

# A group's page in the memberships' order walks at most this many pages' worth of members
# before it gives up on them (a filter that leaves out most of the group) for the listing index.
MEMBER_PAGES_WALKED = 20


class MongoContactRepository:
    def __init__(self, contacts: ContactCollection) -> None:
        self._contacts = contacts
        self.collection = contacts.collection

    async def get(self, org_id: str, contact_id: str) -> Contact | None:
        doc = await self._contacts.collection.find_one({"_id": contact_id}, {OUTBOX: 0})
        found = tenant_document(doc, org_id)
        return contact_from_document(found) if found else None

    async def find_by_phone(self, org_id: str, phone: str) -> Contact | None:
        doc = (await self._contacts.by_phone(org_id, [phone], {OUTBOX: 0})).get(phone)
        return contact_from_document(doc) if doc is not None and not doc["deleted"] else None

    async def get_many(self, org_id: str, ids: Sequence[str]) -> dict[str, Contact]:
        docs = await self._contacts.find_by_ids(ids, {OUTBOX: 0})
        return {
            doc["_id"]: contact_from_document(doc)
            for doc in docs
            if tenant_document(doc, org_id) is not None
        }

    async def add(self, contact: Contact) -> None:
        doc = new_document(contact)
        try:
            await self.collection.insert_one(doc)
        except OperationFailure as exc:
            if not is_duplicate_key(exc):
                raise
            raise (await self._contacts.duplicates_of([contact]))[0] from None
        contact.events.clear()
        self._contacts.wakeup.written(self.collection, doc["_id"], doc[OUTBOX])
        await self._contacts.record_phones([contact])

    async def add_many(self, contacts: Sequence[Contact]) -> dict[int, DuplicatePhone]:
        if not contacts:
            return {}
        docs = [new_document(c) for c in contacts]
        refused = await self._contacts.insert_new(contacts, docs)
        for i, contact in enumerate(contacts):
            if i not in refused:
                contact.events.clear()
        positions = sorted(refused)
        duplicates = await self._contacts.duplicates_of([contacts[i] for i in positions])
        return dict(zip(positions, duplicates, strict=True))

    async def save(self, contact: Contact, expected_version: int) -> None:
        """Stores the change only if nobody saved the contact since it was read."""
        if not contact.events:
            return
        state = contact_state(contact)
        if contact.deleted:
            # A tombstone: the relay deletes the document once ContactDeleted is published.
            state[PURGE] = True
        entries = versioned(contact.events, contact.id, contact.org_id, contact.version)
        try:
            result = await self.collection.update_one(
                {"_id": contact.id, "org_id": contact.org_id, "version": expected_version},
                outbox_update(entries, state),
            )
        except OperationFailure as exc:
            if not is_duplicate_key(exc):
                raise
            raise (await self._contacts.duplicates_of([contact]))[0] from None
        if result.matched_count == 0:
            raise VersionConflict(
                "the contact was changed by someone else", expected_version=expected_version
            )
        renumbered = any(isinstance(e, ContactUpdated) and e.phone for e in contact.events)
        contact.events.clear()
        self._contacts.wakeup.written(self.collection, contact.id, entries, purge=contact.deleted)
        if renumbered:
            await self._contacts.record_phones([contact])

    async def list(
        self,
        org_id: str,
        flt: ContactFilter,
        *,
        sort: str,
        after: tuple[Any, str] | None,
        limit: int,
    ) -> builtins.list[Contact]:
        field, direction = SORTS[sort]
        group = flt.group or (required_group(flt.query) if flt.query is not None else None)
        if group and field == MEMBERS_ORDER_KEY:
            page = await self._members_in_order(org_id, flt, group, direction, after, limit)
            if page is not None:
                return page
        query = await self._scoped(org_id, flt)
        if after is not None:
            op = "$gt" if direction > 0 else "$lt"
            keyset = {"$or": [{field: {op: after[0]}}, {field: after[0], "_id": {op: after[1]}}]}
            query = {"$and": [query, keyset]}
        cursor = self._contacts.collection.find(
            query,
            {OUTBOX: 0},
            sort=[(field, direction), ("_id", direction)],
            limit=limit,
            batch_size=limit,
        )
        return [contact_from_document(doc) async for doc in cursor]

    async def _members_in_order(
        self,
        org_id: str,
        flt: ContactFilter,
        group: str,
        direction: int,
        after: tuple[Any, str] | None,
        limit: int,
    ) -> builtins.list[Contact] | None:
        """A page of contacts that must all be in `group` (`?group=`, or a query requiring
        it), in its memberships' order (see `shared.mongo.memberships`): members walked from
        `after` a few at a time, each few read by id with the whole filter, until the page is
        full, so a page costs about its size however large the group or the organisation.
        Exact because a membership copies its contact's `created_at`, which never changes.
        None when the filter leaves out most of the members walked: the listing index then
        answers."""
        query = filter_document(org_id, flt)
        found: builtins.list[Contact] = []
        # A quarter more than the page: most members pass the filter (members are active).
        position, chunk, walked = after, max(limit + limit // 4, 20), 0
        while walked < MEMBER_PAGES_WALKED * limit:
            members = await self._contacts.membership_index.ordered_page(
                group, direction, position, chunk
            )
            if not members:
                return found
            walked += len(members)
            ids = [contact_id for _, contact_id in members]
            docs = await self._contacts.collection.find(
                {"$and": [query, {"_id": {"$in": ids}}]}, {OUTBOX: 0}, batch_size=len(ids) + 1
            ).to_list()
            by_id = {doc["_id"]: doc for doc in docs}
            for _, contact_id in members:
                doc = by_id.get(contact_id)
                if doc is None:
                    continue
                found.append(contact_from_document(doc))
                if len(found) == limit:
                    return found
            if len(members) < chunk:
                return found
            position, chunk = members[-1], min(2 * chunk, IDS_PER_QUERY)
        return None

    async def count(self, org_id: str, flt: ContactFilter) -> int:
        return await count_matching(self._contacts.collection, await self._scoped(org_id, flt))

    async def _scoped(self, org_id: str, flt: ContactFilter) -> Document:
        """The filter, and for a group of at most `IDS_PER_QUERY` members their ids, from the
        membership index: the store then reads only them, in the listing index, however many
        other contacts the organisation has. A larger group is a tenth of the organisation or
        more at 100,000 contacts: walking the listing index finds a page of it soon enough."""
        query = filter_document(org_id, flt)
        if flt.group:
            members = await self._contacts.membership_index.page(flt.group, None, IDS_PER_QUERY + 1)
            if len(members) <= IDS_PER_QUERY:
                query = {"$and": [query, {"_id": {"$in": members}}]}
        return query

    async def with_field_value(
        self, org_id: str, key: str, *, other_than_type: str | None, limit: int
    ) -> Sequence[Contact]:
        query: Document = {"org_id": org_id, "deleted": False, f"fields.{key}": {"$exists": True}}
        if other_than_type is not None:
            query[f"fields.{key}.type"] = {"$ne": other_than_type}
        docs = await self._contacts.collection.find(
            query, {OUTBOX: 0}, limit=limit, batch_size=limit
        ).to_list()
        return [contact_from_document(doc) for doc in docs]


def filter_document(org_id: str, flt: ContactFilter) -> Document:
    """Always scoped to the organisation and never a deleted contact's tombstone."""
    query: Document = {"org_id": org_id, "deleted": False}
    if flt.status:
        query["status"] = flt.status
    if flt.category:
        query["category"] = flt.category
    # `$elemMatch` rather than equality: the local store cannot index array elements, and
    # leaves this condition to the handler instead of reading every contact in any group.
    if flt.group:
        query["groups"] = {"$elemMatch": {"$eq": flt.group}}
    if flt.q:
        pattern = {"$regex": re.escape(flt.q.strip()), "$options": "i"}
        query["$or"] = [{"name": pattern}, {"phone": pattern}, {"email": pattern}]
    if flt.query is not None:
        query = {"$and": [query, query_filter(flt.query)]}
    if flt.within_groups is not None:
        within = {"$elemMatch": {"$in": list(flt.within_groups)}}
        query = {"$and": [query, {"groups": within}]}
    return query
