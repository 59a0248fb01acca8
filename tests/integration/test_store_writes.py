"""Writes on the real store as the services rely on them, and what they count.

The local store writes an update's modified documents in batches (deploy/local/ferretdb/patches/
2-per-document-costs.patch); MongoDB's behaviour must survive that: when a unique index refuses one
document, those before it stay updated and the ones after it are not. Every command a service
sends is counted by command and collection (shared/mongo/command_metrics.py), which is how the
import bench breaks the store's work down. A `$set` of an embedded document whose values equal the
stored one's but whose field names differ is a change, as on MongoDB (stock FerretDB v1 skipped
it: deploy/local/ferretdb/patches/4-set-embedded-documents.patch).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from prometheus_client import REGISTRY
from pymongo import IndexModel, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, OperationFailure

from shared.mongo.client import Document
from shared.settings import ServiceSettings
from tests.support.scratch import scratch_database

DOCUMENTS = 700  # more than one batch of the store's update (500)
BLOCKED = 300  # the document whose update the unique index refuses


@pytest.fixture
async def database(settings: ServiceSettings) -> AsyncIterator[AsyncDatabase[Document]]:
    async with scratch_database(settings, f"writes_{uuid.uuid4().hex[:6]}") as (_, db):
        yield db


async def test_an_update_refused_midway_keeps_what_it_wrote_before(
    database: AsyncDatabase[Document],
) -> None:
    collection = database["things"]
    await collection.create_indexes([IndexModel([("k", 1)], unique=True, name="unique_k")])
    ids = [f"d{i:04d}" for i in range(DOCUMENTS)]
    await collection.insert_many([{"_id": d, "k": 2 * i, "n": 0} for i, d in enumerate(ids)])
    # Document BLOCKED's k + 1 is taken by a document the update does not touch.
    await collection.insert_one({"_id": "blocker", "k": 2 * BLOCKED + 1, "n": 0})

    # MongoDB raises DuplicateKeyError; FerretDB v1, stock or patched, an internal error.
    with pytest.raises(OperationFailure):
        await collection.update_many({"_id": {"$in": ids}}, {"$inc": {"k": 1, "n": 1}})

    after = {doc["_id"]: doc async for doc in collection.find({"_id": {"$in": ids}})}
    updated = sorted(d for d, doc in after.items() if doc["n"] == 1)
    assert updated == ids[:BLOCKED]
    assert all(after[d]["k"] == 2 * i + 1 for i, d in enumerate(ids[:BLOCKED]))
    assert all(after[d]["k"] == 2 * i for i, d in enumerate(ids) if i >= BLOCKED)


async def test_many_documents_updated_in_one_command_are_all_written(
    database: AsyncDatabase[Document],
) -> None:
    collection = database["many"]
    ids = [f"m{i:04d}" for i in range(DOCUMENTS * 2)]
    await collection.insert_many([{"_id": d, "groups": []} for d in ids])
    result = await collection.update_many(
        {"_id": {"$in": ids[::2]}}, {"$addToSet": {"groups": "g"}, "$set": {"seq.g": 3}}
    )
    assert result.modified_count == DOCUMENTS
    members = {doc["_id"] async for doc in collection.find({"groups": "g"})}
    assert members == set(ids[::2])
    again = await collection.update_many({"_id": {"$in": ids[::2]}}, {"$addToSet": {"groups": "g"}})
    assert again.modified_count == 0


# A stored document's fields, a `$set` whose values equal the stored ones' under other field names
# (or in another order), and the fields MongoDB leaves.
RENAMED_FIELDS = [
    pytest.param(
        {"counts": {"queued": 12}},
        {"counts": {"sending": 12}},
        {"counts": {"sending": 12}},
        id="top-level",
    ),
    pytest.param(
        {"a": {"b": {"c": {"x": 1}}}},
        {"a": {"b": {"c": {"y": 1}}}},
        {"a": {"b": {"c": {"y": 1}}}},
        id="nested",
    ),
    pytest.param(
        {"a": {"b": {"x": 1}, "n": 2}},
        {"a.b": {"y": 1}},
        {"a": {"b": {"y": 1}, "n": 2}},
        id="dotted-path",
    ),
    pytest.param(
        {"items": [{"x": 1}, {"y": 2}]},
        {"items": [{"p": 1}, {"q": 2}]},
        {"items": [{"p": 1}, {"q": 2}]},
        id="array",
    ),
    pytest.param(
        {"items": [{"x": 1}, {"y": 2}]},
        {"items.1": {"z": 2}},
        {"items": [{"x": 1}, {"z": 2}]},
        id="array-element",
    ),
    pytest.param(
        {"d": {"a": 1, "b": 1}},
        {"d": {"b": 1, "a": 1}},
        {"d": {"b": 1, "a": 1}},
        id="reordered",
    ),
]


def ordered(value: Any) -> Any:
    """The value with every document as its list of fields: field order counts in comparisons."""
    if isinstance(value, dict):
        return [(key, ordered(item)) for key, item in value.items()]
    if isinstance(value, list):
        return [ordered(item) for item in value]
    return value


@pytest.mark.parametrize(("stored", "update", "expected"), RENAMED_FIELDS)
async def test_setting_a_document_with_the_same_values_under_other_names_changes_it(
    database: AsyncDatabase[Document], stored: Document, update: Document, expected: Document
) -> None:
    collection = database["renamed"]
    await collection.insert_many([{"_id": key, **stored, "v": 1} for key in ("one", "bulk")])

    one = await collection.update_one({"_id": "one"}, {"$set": update})
    bulk = await collection.bulk_write([UpdateOne({"_id": "bulk"}, {"$set": update})])

    assert (one.modified_count, bulk.modified_count) == (1, 1)
    async for doc in collection.find({}):
        assert ordered(doc) == ordered({"_id": doc["_id"], **expected, "v": 1}), doc["_id"]


async def test_setting_a_document_beside_another_field_changes_both(
    database: AsyncDatabase[Document],
) -> None:
    """The shape first met: the other field's change made the update count as a modification
    while the embedded document kept its old field."""
    collection = database["beside"]
    await collection.insert_one({"_id": 1, "counts": {"queued": 12}, "v": 1})
    await collection.update_one({"_id": 1}, {"$set": {"counts": {"sending": 12}, "v": 2}})
    assert await collection.find_one({"_id": 1}) == {"_id": 1, "counts": {"sending": 12}, "v": 2}


async def test_setting_what_is_stored_modifies_nothing(database: AsyncDatabase[Document]) -> None:
    collection = database["unchanged"]
    stored: Document = {"counts": {"queued": 12}, "a": {"b": {"x": 1}}, "items": [{"x": 1}]}
    await collection.insert_many([{"_id": key, **stored} for key in ("one", "bulk")])
    update = {"$set": {"counts": {"queued": 12}, "a.b": {"x": 1}, "items.0": {"x": 1}}}

    one = await collection.update_one({"_id": "one"}, update)
    bulk = await collection.bulk_write([UpdateOne({"_id": "bulk"}, update)])

    assert (one.modified_count, bulk.modified_count) == (0, 0)


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_commands_documents_and_time_are_counted_by_collection(
    database: AsyncDatabase[Document],
) -> None:
    collection = database["counted"]
    inserted = (
        "roster_store_statement_documents_total",
        {"command": "insert", "collection": "counted"},
    )
    updates = (
        "roster_store_commands_total",
        {"command": "update", "collection": "counted", "outcome": "ok"},
    )
    seconds = ("roster_store_command_seconds_total", {"command": "find", "collection": "counted"})
    written = {
        command: (
            "roster_store_documents_written_total",
            {"command": command, "collection": "counted"},
        )
        for command in ("insert", "update", "delete")
    }
    counted = (inserted, updates, seconds, *written.values())
    before = [sample(name, **labels) for name, labels in counted]

    await collection.insert_many([{"_id": i} for i in range(5)])
    await collection.update_many({"_id": {"$in": [1, 2]}}, {"$set": {"x": 1}})
    await collection.update_one({"_id": 3}, {"$set": {"x": 1}})
    await collection.update_many({"_id": {"$in": [1, 2, 3, 4]}}, {"$set": {"x": 1}})  # 4 only
    await collection.update_one({"_id": 9}, {"$set": {"x": 1}}, upsert=True)
    with pytest.raises(BulkWriteError):  # 4 refused, 6 written
        await collection.insert_many([{"_id": 4}, {"_id": 6}], ordered=False)
    await collection.delete_many({"_id": {"$in": [0, 1, 42]}})
    assert len(await collection.find({}).to_list()) == 5

    after = [sample(name, **labels) for name, labels in counted]
    assert after[0] - before[0] == 7
    assert after[1] - before[1] == 4
    assert after[2] > before[2]
    # What the store wrote, whatever the commands carried.
    assert after[3] - before[3] == 6
    assert after[4] - before[4] == 5
    assert after[5] - before[5] == 2
