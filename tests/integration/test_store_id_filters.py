"""Reads and writes by `_id` give the same result whether the store indexes `_id` filters
(MongoDB, the project's patched FerretDB: `$in` and guards in the filter) or not (stock
FerretDB: one statement per id, guards checked by reading first). Both paths run here against
the real store: the second by telling the store it cannot index them."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from pymongo.asynchronous.database import AsyncDatabase

import shared.mongo.client as mongo_client
from services.contacts.adapters.contact_collection import ContactCollection
from services.contacts.adapters.contact_memberships import MongoContactMemberships
from services.contacts.adapters.contact_repository import MongoContactRepository
from services.contacts.domain.model import Contact
from shared.mongo.client import Document, Store
from shared.mongo.outbox import OutboxWakeup
from shared.settings import ServiceSettings
from tests.support.scratch import scratch_database

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
async def real_store(settings: ServiceSettings) -> AsyncIterator[Store]:
    async with scratch_database(settings, "idfilters") as (opened, _):
        yield opened


@pytest.fixture(params=[True, False], ids=["indexed", "per-id"])
def store(request: pytest.FixtureRequest, real_store: Store) -> Store:
    return dataclasses.replace(real_store, ids_indexed=request.param)


@pytest.fixture
def db(real_store: Store, settings: ServiceSettings) -> AsyncDatabase[Document]:
    return real_store.client[settings.database_name("idfilters")]


async def test_find_and_update_by_ids_in_chunks(
    store: Store, db: AsyncDatabase[Document], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mongo_client, "IDS_PER_QUERY", 3)  # several chunks from a few ids
    things = db[f"things_{uuid.uuid4().hex[:8]}"]
    await things.insert_many([{"_id": f"t{i}", "n": i, "tags": []} for i in range(8)])
    wanted = ["t1", "t2", "t3", "t5", "t7", "missing"]

    found = await store.find_by_ids(things, wanted, {"n": 1})

    assert sorted((d["_id"], d["n"]) for d in found) == [
        ("t1", 1), ("t2", 2), ("t3", 3), ("t5", 5), ("t7", 7)
    ]  # fmt: skip
    changed = await store.update_by_ids(things, wanted, {"$addToSet": {"tags": "x"}})
    assert changed == 5
    again = await store.update_by_ids(things, wanted, {"$addToSet": {"tags": "x"}})
    assert again == 0  # already there: nothing modified
    tagged = await things.find({"tags": "x"}, {"_id": 1}).to_list()
    assert sorted(d["_id"] for d in tagged) == ["t1", "t2", "t3", "t5", "t7"]


async def test_membership_events_apply_in_order_and_older_ones_are_ignored(
    store: Store, db: AsyncDatabase[Document], org: str
) -> None:
    contacts = ContactCollection(db, store, OutboxWakeup())
    repo, memberships = MongoContactRepository(contacts), MongoContactMemberships(contacts)
    new = [
        Contact.create(id=str(uuid.uuid4()), org_id=org, phone=f"+23480400000{i}", now=NOW,
                       attributes={})
        for i in range(3)
    ]  # fmt: skip
    assert await repo.add_many(new) == {}
    a, b, c = (contact.id for contact in new)

    await memberships.apply(org, "g1", 2, added=[a, b, c], removed=[])
    await memberships.apply(org, "g1", 1, added=[], removed=[a, b])  # older: ignored
    await memberships.apply(org, "g1", 3, added=[], removed=[b])
    await memberships.apply(org, "g2", 1, added=[a], removed=[])
    await memberships.apply(f"{org}-other", "g3", 1, added=[c], removed=[])  # not ours

    stored = await repo.get_many(org, [a, b, c])
    assert stored[a].groups == ["g1", "g2"]
    assert stored[b].groups == []
    assert stored[c].groups == ["g1"]
