"""Who is in a group, as one small document per membership, beside the `groups` array that
contactql filters and exports read.

A group's members cannot be found through the array cheaply: MongoDB indexes array elements,
but the local store's SQLite cannot, so `{groups: g}` read every contact of the organisation
that is in any group. A membership document's `_id` is `<group>:<contact>`, so the `_id` index
alone holds each group's members in contact id order: a page of members is a range of it, a
count is a count over it, on both stores. Writing one costs one more document per contact
joining or leaving, written in batches.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Sequence

from pymongo.asynchronous.collection import AsyncCollection

from shared.mongo.client import IDS_PER_QUERY, Document, count_matching, insert_unless_present

# Group ids never hold this character (they are UUIDs), and it sorts right after the separator.
SEPARATOR, AFTER_SEPARATOR = ":", ";"


def membership_id(group_id: str, contact_id: str) -> str:
    return f"{group_id}{SEPARATOR}{contact_id}"


def _group_range(group_id: str, after: str | None = None) -> Document:
    lower = membership_id(group_id, after) if after is not None else f"{group_id}{SEPARATOR}"
    return {"$gt" if after is not None else "$gte": lower, "$lt": f"{group_id}{AFTER_SEPARATOR}"}


class MembershipIndex:
    """The memberships of one service's groups (see the module's docstring). Its writer is
    the one that writes the `groups` arrays, in the same order; both are idempotent, so a
    redelivered event repairs either."""

    def __init__(self, collection: AsyncCollection[Document], write_batch: int) -> None:
        self.collection = collection
        self._write_batch = write_batch

    async def add(self, group_id: str, contact_ids: Sequence[str]) -> None:
        for start in range(0, len(contact_ids), self._write_batch):
            docs = [
                {"_id": membership_id(group_id, c), "group_id": group_id, "contact_id": c}
                for c in contact_ids[start : start + self._write_batch]
            ]
            await insert_unless_present(self.collection, docs)

    async def remove(self, group_id: str, contact_ids: Sequence[str]) -> None:
        for start in range(0, len(contact_ids), IDS_PER_QUERY):
            ids = [membership_id(group_id, c) for c in contact_ids[start : start + IDS_PER_QUERY]]
            await self.collection.delete_many({"_id": {"$in": ids}})

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

    async def count(self, group_id: str) -> int:
        return await count_matching(self.collection, {"_id": _group_range(group_id)})

    async def rebuild(self, memberships: AsyncIterable[tuple[str, list[str]]]) -> int:
        """Writes the membership of every (contact, groups) given: for a store whose arrays
        predate this index. Returns how many contacts had some."""
        contacts, pending, waiting = 0, dict[str, list[str]](), 0
        async for contact_id, groups in memberships:
            contacts += 1
            for group_id in groups:
                pending.setdefault(group_id, []).append(contact_id)
                waiting += 1
            if waiting >= IDS_PER_QUERY:
                await self._add_all(pending)
                pending, waiting = {}, 0
        await self._add_all(pending)
        return contacts

    async def _add_all(self, pending: dict[str, list[str]]) -> None:
        for group_id, contact_ids in pending.items():
            await self.add(group_id, contact_ids)

    async def backfill(self, arrays: AsyncCollection[Document]) -> int:
        """Fills an empty index from the `groups` arrays of `arrays` if any contact is in a
        group: once, for a store written before this index existed (a scan, at start)."""
        if await self.collection.find_one({}, {"_id": 1}) is not None:
            return 0
        in_groups: Document = {"groups.0": {"$exists": True}}
        if await arrays.find_one(in_groups, {"_id": 1}) is None:
            return 0

        async def memberships() -> AsyncIterator[tuple[str, list[str]]]:
            async for doc in arrays.find(in_groups, {"groups": 1}, batch_size=1000):
                yield doc["_id"], list(doc["groups"])

        return await self.rebuild(memberships())
