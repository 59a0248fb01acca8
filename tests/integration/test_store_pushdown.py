"""The local store hands conditions, sorts and counts to SQLite's indexes (the project's FerretDB
patch, `deploy/local/ferretdb/patches/1-typed-keys.patch`), and that changes no result.

Hypothesis writes documents whose fields hold every kind of value (strings with quotes,
backslashes and any character, numbers of each BSON type on both sides of 2**53, booleans,
null, ObjectIds, dates, arrays, embedded documents, or nothing at all) and queries over them:
equalities, `$eq`, `$in`, ranges, `$and`, `$or` (among them the keyset shape of a next
page), each with a sort ending in `_id` (which the patch pushes down), a skip and a limit,
and counts, and each once more unsorted (a filter on several fields is then read as the UNION
ALL of its parts, 5-split-plain-queries.patch). Each query is run as it is, pushed down, and
again as `{$nor: [{$nor: [filter]}]}` sorted by the same keys and then a dotted path, which the
patch pushes nothing of: FerretDB then evaluates and sorts in memory, its unpatched path. Both
must return the same documents in the same order (unsorted: the same documents), and the count
command the same number. On MongoDB the test checks the same equalities and costs nothing more.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import bson
import pytest
from bson import Int64, ObjectId
from hypothesis import HealthCheck, event, given, note
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from shared.mongo.client import Document, Store
from shared.settings import ServiceSettings
from tests.support.scratch import scratch_database

MAX_EXAMPLES = 150
FIELDS = ("a", "b")
OBJECT_IDS = [ObjectId(f"{i:024x}") for i in range(3)]
WHEN = [datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, 0, 0, 1, tzinfo=UTC)]

# Few distinct values, so that filters often match; each written in every form that could
# trip a text comparison (escapes, a number that is also a string, 1 = 1.0 = 1L).
strings = st.sampled_from(["", "o1", "O1", "o1 ", 'q"uote', "back\\slash", "<tag>", "é", "1"]) | (
    st.text(max_size=6)
)
scalars = st.one_of(
    strings,
    st.sampled_from([0, 1, -1, 2**40]),
    st.sampled_from([Int64(1), Int64(2**40), Int64(2**53), Int64(2**53 + 1), Int64(-(2**62))]),
    st.sampled_from([1.0, 0.5, -0.0, 1e300, float(2**53), -1.5]),
    st.booleans(),
    st.none(),
    st.sampled_from(OBJECT_IDS),
    st.sampled_from(WHEN),
)
# No arrays directly in arrays: FerretDB v1 refuses to store them.
embedded = st.fixed_dictionaries({"x": scalars | st.lists(scalars, max_size=2)})
arrays = st.lists(scalars | embedded, max_size=3)
# Half scalars, a quarter arrays, a quarter embedded documents (`|` would flatten the choice
# into one among a dozen, and arrays would be rare).
values = st.sampled_from([scalars, scalars, arrays, embedded]).flatmap(lambda kind: kind)
MISSING = object()


@st.composite
def documents(draw: st.DrawFn) -> list[Document]:
    ids = draw(
        st.lists(
            st.one_of(st.text(max_size=4), st.sampled_from(OBJECT_IDS), st.integers(0, 3)),
            min_size=1,
            max_size=12,
            unique_by=lambda v: (type(v).__name__, v),
        )
    )
    docs = []
    for id_ in ids:
        doc: Document = {"_id": id_}
        for field in FIELDS:
            value = draw(st.one_of(st.just(MISSING), values))
            if value is not MISSING:
                doc[field] = value
        docs.append(doc)
    return docs


RANGES = ("$gt", "$gte", "$lt", "$lte")


def condition(draw: st.DrawFn, anchor: Any) -> Any:
    """A value to equal, `$eq`, `$in` or bound: the anchor document's value (or one of its
    array's elements) two times in three, so that conjunctions match too."""
    known = [anchor, *anchor] if isinstance(anchor, list) else [anchor]
    one = st.one_of(st.sampled_from(known), st.sampled_from(known), values)
    one = one if anchor is not MISSING else values
    form = draw(st.sampled_from(["plain", "eq", "in", "range", "interval"]))
    if form == "plain":
        return draw(one)
    if form == "eq":
        return {"$eq": draw(one)}
    if form == "in":
        return {"$in": draw(st.lists(one, min_size=1, max_size=4))}
    if form == "range":
        return {draw(st.sampled_from(RANGES)): draw(one)}
    return {
        draw(st.sampled_from(RANGES[:2])): draw(one),
        draw(st.sampled_from(RANGES[2:])): draw(one),
    }


def keyset(draw: st.DrawFn, anchor: Document, field: str, direction: int) -> Document:
    """The condition of the page after the anchor document in a sort by field then `_id`."""
    op = "$gt" if direction > 0 else "$lt"
    value = anchor.get(field)
    return {"$or": [{field: {op: value}}, {field: value, "_id": {op: anchor["_id"]}}]}


@st.composite
def queries(draw: st.DrawFn, docs: list[Document]) -> tuple[Document, list[tuple[str, int]]]:
    """Conditions on `_id` and the fields, side by side, in a `$and` or in a `$or`, with a
    sort by the fields and `_id`."""
    anchor = draw(st.sampled_from(docs)) if docs else {"_id": 0}
    sort_fields = draw(st.lists(st.sampled_from(FIELDS), max_size=2, unique=True))
    directions = draw(st.lists(st.sampled_from([ASCENDING, DESCENDING]), min_size=3, max_size=3))
    sort = [*zip(sort_fields, directions, strict=False), ("_id", directions[-1])]
    keys = draw(st.lists(st.sampled_from(["_id", *FIELDS]), max_size=3, unique=True))
    parts = [{key: condition(draw, anchor.get(key, MISSING))} for key in keys]
    shape = draw(st.sampled_from(["plain", "and", "or", "keyset"]))
    if shape == "keyset":
        parts.append(keyset(draw, anchor, sort[0][0], sort[0][1]))
    if shape == "or" and parts:
        return {"$or": parts}, sort
    if shape in ("and", "keyset") and parts:
        return {"$and": parts}, sort
    return {k: v for part in parts for k, v in part.items()}, sort


@dataclass
class Tally:
    examples: int = 0
    queries: int = 0
    pushed: int = 0
    matched: int = 0
    limited: int = 0


@pytest.fixture(scope="module")
async def scratch(
    settings: ServiceSettings,
) -> AsyncIterator[tuple[Store, AsyncDatabase[Document]]]:
    async with scratch_database(settings, "pushdown") as opened:
        yield opened


@pytest.fixture(scope="module")
def store(scratch: tuple[Store, AsyncDatabase[Document]]) -> Store:
    return scratch[0]


@pytest.fixture(scope="module")
async def collection(
    scratch: tuple[Store, AsyncDatabase[Document]],
) -> AsyncCollection[Document]:
    """Indexed as the services index: a field alone, first of a compound index, and with
    `_id` after it in both directions (a sort's index)."""
    things = scratch[1][f"things_{uuid.uuid4().hex[:8]}"]
    await things.create_index([("a", ASCENDING)])
    await things.create_index([("b", ASCENDING), ("a", ASCENDING)])
    await things.create_index([("a", DESCENDING), ("_id", DESCENDING)])
    await things.create_index([("b", ASCENDING), ("_id", ASCENDING)])
    return things


@pytest.fixture(scope="module")
def tally() -> Tally:
    return Tally()


def as_bytes(docs: list[Document]) -> Counter[bytes]:
    """The documents as a multiset (an unsorted find promises no order)."""
    return Counter(bson.encode(doc) for doc in docs)


async def pushed_down(things: AsyncCollection[Document], flt: Document) -> bool:
    """What FerretDB's explain says (MongoDB's explain has no such field: False)."""
    plan = await things.database.command("explain", {"find": things.name, "filter": flt})
    return bool(plan.get("filterPushdown"))


@hypothesis_settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
async def test_pushed_down_queries_return_what_the_unpatched_evaluation_returns(
    collection: AsyncCollection[Document], tally: Tally, data: st.DataObject
) -> None:
    docs = data.draw(documents(), label="documents")
    await collection.delete_many({})
    if docs:
        await collection.insert_many(docs)
    for _ in range(4):
        flt, sort = data.draw(queries(docs), label="query")
        skip = data.draw(st.sampled_from([0, 0, 1]), label="skip")
        limit = data.draw(st.sampled_from([0, 1, 1, 3]), label="limit")
        note(f"filter {flt!r} sort {sort!r} skip {skip} limit {limit}")
        unpushed = {"$nor": [{"$nor": [flt]}]}
        pushed = await collection.find(flt, sort=sort, skip=skip, limit=limit).to_list()
        in_memory = await collection.find(
            unpushed, sort=[*sort, ("no.such", ASCENDING)], skip=skip, limit=limit
        ).to_list()
        assert pushed == in_memory, f"{flt!r} {sort!r}: pushed {pushed!r}, in memory {in_memory!r}"
        counted = await collection.database.command("count", collection.name, query=flt)
        everything = await collection.find(unpushed).to_list()
        assert counted["n"] == len(everything), f"count of {flt!r}"
        unsorted = await collection.find(flt).to_list()  # several fields: a UNION ALL of parts
        assert as_bytes(unsorted) == as_bytes(everything), f"unsorted {flt!r}: {unsorted!r}"
        if await pushed_down(collection, flt):
            tally.pushed += 1
            event("pushed down")
        tally.queries += 1
        tally.matched += bool(pushed)
        tally.limited += bool(limit and len(everything) > limit + skip)
    tally.examples += 1


def test_the_property_ran_and_pushed_down(tally: Tally, store: Store) -> None:
    """Zero examples, or none pushed down on the local store, would be a silent pass."""
    print(f"\npushdown vs in memory: {tally}")
    assert tally.examples > 0 and tally.matched > tally.queries // 4
    assert tally.limited > tally.queries // 50
    if store.ferretdb:
        assert tally.pushed > tally.queries // 4
