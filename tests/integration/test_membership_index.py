"""The membership index (`shared.mongo.memberships`) on the real store: pages of a group's
members in contact id order, counts, removals, and the backfill from `groups` arrays written
before it existed. Groups whose ids share a prefix must not leak into each other's range."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from shared.mongo.client import Document
from shared.mongo.memberships import MembershipIndex
from shared.settings import ServiceSettings
from tests.support.scratch import scratch_database


@pytest.fixture
async def database(settings: ServiceSettings) -> AsyncIterator[AsyncDatabase[Document]]:
    async with scratch_database(settings, f"memberships_{uuid.uuid4().hex[:6]}") as (_, db):
        yield db


async def all_pages(index: MembershipIndex, group: str, size: int) -> list[str]:
    found: list[str] = []
    while page := await index.page(group, found[-1] if found else None, size):
        found.extend(page)
    return found


async def test_pages_counts_and_removals_stay_within_their_group(
    database: AsyncDatabase[Document],
) -> None:
    index = MembershipIndex(database["memberships"], insert_batch=7)
    contacts = [f"c{i:03d}" for i in range(40)]
    # "g1" is a prefix of "g10": their ranges must not overlap.
    await index.add("g1", contacts[::2])
    await index.add("g10", contacts[:5])
    # Again, and two new: duplicates are ignored, and only the new ones counted.
    assert await index.add("g1", contacts[:4]) == 2

    expected = sorted(set(contacts[::2]) | set(contacts[:4]))
    assert await all_pages(index, "g1", 3) == expected
    assert await index.count("g1") == len(expected)
    assert await all_pages(index, "g10", 100) == contacts[:5]
    assert await index.count("g2") == 0 and await index.page("g2", None, 5) == []

    assert await index.remove("g1", ["c000", "c001", "missing"]) == 2
    assert await all_pages(index, "g1", 4) == [c for c in expected if c not in ("c000", "c001")]
    await index.remove_group("g1")
    assert await index.count("g1") == 0
    assert await index.count("g10") == 5


async def test_backfill_writes_the_arrays_once(database: AsyncDatabase[Document]) -> None:
    arrays = database["contacts"]
    await arrays.insert_many(
        [
            {"_id": "a", "groups": ["g1", "g2"]},
            {"_id": "b", "groups": []},
            {"_id": "c", "groups": ["g2"]},
            {"_id": "d"},
        ]
    )
    index = MembershipIndex(database["memberships"])

    assert await index.backfill(arrays) == 2
    assert await all_pages(index, "g1", 10) == ["a"]
    assert await all_pages(index, "g2", 1) == ["a", "c"]

    # Not empty any more: a later start leaves it alone.
    await arrays.update_one({"_id": "d"}, {"$set": {"groups": ["g1"]}})
    assert await index.backfill(arrays) == 0
    assert await index.count("g1") == 1


async def test_no_backfill_when_nobody_is_in_a_group(database: AsyncDatabase[Document]) -> None:
    arrays = database["contacts"]
    await arrays.insert_many([{"_id": "a", "groups": []}, {"_id": "b"}])
    index = MembershipIndex(database["memberships"])

    assert await index.backfill(arrays) == 0
    assert await database["memberships"].count_documents({}) == 0
