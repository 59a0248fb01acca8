"""Who is in a group, as one small document per membership, beside the `groups` array that
contactql filters and exports read.

A group's members cannot be found through the array cheaply: MongoDB indexes array elements,
but the local store's SQLite cannot, so `{groups: g}` read every contact of the organisation
that is in any group. A membership document's `_id` is `<group>:<contact>`, so the `_id` index
alone holds each group's members in contact id order: a page of members is a range of it, a
count is a count over it, on both stores. Writing one costs one more document per contact
joining or leaving, written in batches.

A service that lists a group's members in another order can have each document carry the
contact's value of an attribute that never changes (`order_key`: the contacts service's
`created_at`, its default listing order) and an index on it: a page of a group in that order is
then a range of that index too, however large the group. An attribute that changes would cost a
write to every membership of the contact on each change; none is carried.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Mapping, Sequence
from typing import Any

from pymongo import IndexModel, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection

from shared.mongo.client import (
    IDS_PER_QUERY,
    INSERT_BATCH,
    Document,
    count_matching,
    ensure_indexes,
    insert_unless_present,
)

# Group ids never hold this character (they are UUIDs), and it sorts right after the separator.
SEPARATOR, AFTER_SEPARATOR = ":", ";"
# The document saying the order key was filled in (sorts after every membership's `_id`).
FILLED_MARK = "~order_key_filled"


def membership_id(group_id: str, contact_id: str) -> str:
    return f"{group_id}{SEPARATOR}{contact_id}"


def _group_range(group_id: str, after: str | None = None) -> Document:
    lower = membership_id(group_id, after) if after is not None else f"{group_id}{SEPARATOR}"
    return {"$gt" if after is not None else "$gte": lower, "$lt": f"{group_id}{AFTER_SEPARATOR}"}


class MembershipIndex:
    """The memberships of one service's groups (see the module's docstring). Its writer is
    the one that writes the `groups` arrays, in the same order; both are idempotent, so a
    redelivered event repairs either."""

    def __init__(
        self,
        collection: AsyncCollection[Document],
        order_key: str | None = None,
        insert_batch: int = INSERT_BATCH,
    ) -> None:
        self.collection = collection
        self.order_key = order_key
        self._insert_batch = insert_batch

    async def create_indexes(self) -> None:
        """The index of `order_key` pages, if the documents carry one."""
        if self.order_key is not None:
            keys = [("group_id", 1), (self.order_key, -1), ("contact_id", -1)]
            await ensure_indexes(self.collection, [IndexModel(keys, name="group_ordered")])

    async def add(
        self,
        group_id: str,
        contact_ids: Sequence[str],
        order_values: Mapping[str, Any] | None = None,
    ) -> int:
        """`order_values`: each contact's `order_key` value, when the index carries one.
        Returns how many were not listed yet."""
        added = 0
        for start in range(0, len(contact_ids), self._insert_batch):
            docs = [
                self._document(group_id, c, order_values)
                for c in contact_ids[start : start + self._insert_batch]
            ]
            added += len(docs) - len(await insert_unless_present(self.collection, docs))
        return added

    def _document(
        self, group_id: str, contact_id: str, order_values: Mapping[str, Any] | None
    ) -> Document:
        doc: Document = {
            "_id": membership_id(group_id, contact_id),
            "group_id": group_id,
            "contact_id": contact_id,
        }
        if self.order_key is not None:
            assert order_values is not None, "this index carries each member's order key"
            doc[self.order_key] = order_values[contact_id]
        return doc

    async def listed(self, group_id: str, contact_ids: Sequence[str]) -> set[str]:
        """Which of these contacts are listed in the group: small documents read by `_id`."""
        found: set[str] = set()
        for start in range(0, len(contact_ids), IDS_PER_QUERY):
            ids = [membership_id(group_id, c) for c in contact_ids[start : start + IDS_PER_QUERY]]
            docs = self.collection.find(
                {"_id": {"$in": ids}}, {"contact_id": 1}, batch_size=len(ids) + 1
            )
            found |= {doc["contact_id"] async for doc in docs}
        return found

    async def remove(self, group_id: str, contact_ids: Sequence[str]) -> int:
        """Returns how many were listed."""
        removed = 0
        for start in range(0, len(contact_ids), IDS_PER_QUERY):
            ids = [membership_id(group_id, c) for c in contact_ids[start : start + IDS_PER_QUERY]]
            removed += (await self.collection.delete_many({"_id": {"$in": ids}})).deleted_count
        return removed

    async def remove_group(self, group_id: str) -> None:
        await self.collection.delete_many({"_id": _group_range(group_id)})

    async def page(self, group_id: str, after: str | None, limit: int) -> list[str]:
        """Members' contact ids in id order, after the contact id `after`."""
        docs = await self.collection.find(
            {"_id": _group_range(group_id, after)},
            {"contact_id": 1},
            sort=[("_id", 1)],
            limit=limit,
            batch_size=limit,
        ).to_list()
        return [doc["contact_id"] for doc in docs]

    async def ordered_page(
        self, group_id: str, direction: int, after: tuple[Any, str] | None, limit: int
    ) -> list[tuple[Any, str]]:
        """Members as (order key value, contact id), in that order (`direction` 1 or -1), after
        the pair `after`: a range of the `group_ordered` index."""
        assert self.order_key is not None, "this index carries no order key"
        key = self.order_key
        query: Document = {"group_id": group_id}
        if after is not None:
            op = "$gt" if direction > 0 else "$lt"
            value, contact_id = after
            query["$or"] = [{key: {op: value}}, {key: value, "contact_id": {op: contact_id}}]
        docs = await self.collection.find(
            query,
            {key: 1, "contact_id": 1, "_id": 0},
            sort=[(key, direction), ("contact_id", direction)],
            limit=limit,
            batch_size=limit,
        ).to_list()
        return [(doc.get(key), doc["contact_id"]) for doc in docs]

    async def count(self, group_id: str) -> int:
        return await count_matching(self.collection, {"_id": _group_range(group_id)})

    async def rebuild(self, memberships: AsyncIterable[tuple[str, list[str], Any]]) -> int:
        """Writes the membership of every (contact, groups, order key value) given: for a
        store whose arrays predate this index. Returns how many contacts had some."""
        contacts, pending, waiting = 0, dict[str, list[str]](), 0
        values: dict[str, Any] = {}
        async for contact_id, groups, value in memberships:
            contacts += 1
            values[contact_id] = value
            for group_id in groups:
                pending.setdefault(group_id, []).append(contact_id)
                waiting += 1
            if waiting >= IDS_PER_QUERY:
                await self._add_all(pending, values)
                pending, waiting, values = {}, 0, {}
        await self._add_all(pending, values)
        return contacts

    async def _add_all(self, pending: dict[str, list[str]], values: dict[str, Any]) -> None:
        for group_id, contact_ids in pending.items():
            await self.add(group_id, contact_ids, values if self.order_key else None)

    async def backfill(self, arrays: AsyncCollection[Document]) -> int:
        """Fills an empty index from the `groups` arrays of `arrays` if any contact is in a
        group: once, for a store written before this index existed (a scan, at start). An index
        written before it carried its order key gets the key filled in instead, once."""
        if await self.collection.find_one({}, {"_id": 1}) is None:
            written = await self._from_arrays(arrays)
        else:
            written = await self._fill_order_key(arrays)
        if self.order_key is not None:
            await self.collection.update_one(
                {"_id": FILLED_MARK}, {"$set": {"order_key": self.order_key}}, upsert=True
            )
        return written

    async def _from_arrays(self, arrays: AsyncCollection[Document]) -> int:
        in_groups: Document = {"groups.0": {"$exists": True}}
        if await arrays.find_one(in_groups, {"_id": 1}) is None:
            return 0
        key = self.order_key

        async def memberships() -> AsyncIterator[tuple[str, list[str], Any]]:
            projection = {"groups": 1, **({key: 1} if key else {})}
            async for doc in arrays.find(in_groups, projection, batch_size=1000):
                yield doc["_id"], list(doc["groups"]), doc.get(key) if key else None

        return await self.rebuild(memberships())

    async def _fill_order_key(self, arrays: AsyncCollection[Document]) -> int:
        """Copies each contact's order key onto its memberships that lack it, in one pass by
        `_id`, unless a pass already did; returns how many were filled."""
        key = self.order_key
        if key is None or await self.collection.find_one({"_id": FILLED_MARK, "order_key": key}):
            return 0
        filled, after = 0, ""
        while True:
            docs = await self.collection.find(
                {"_id": {"$gt": after, "$lt": FILLED_MARK}},
                {"contact_id": 1, key: 1},
                sort=[("_id", 1)],
                limit=1000,
                batch_size=1000,
            ).to_list()
            if not docs:
                return filled
            after = docs[-1]["_id"]
            lacking = [doc for doc in docs if key not in doc]
            if not lacking:
                continue
            ids = list({doc["contact_id"] for doc in lacking})
            holders = arrays.find({"_id": {"$in": ids}}, {key: 1}, batch_size=len(ids))
            values = {doc["_id"]: doc.get(key) async for doc in holders}
            updates = [
                UpdateOne({"_id": doc["_id"]}, {"$set": {key: values.get(doc["contact_id"])}})
                for doc in lacking
            ]
            await self.collection.bulk_write(updates, ordered=False)
            filled += len(lacking)
