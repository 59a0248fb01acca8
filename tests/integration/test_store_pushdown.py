"""The local store hands equality conditions to SQLite's indexes (the project's FerretDB patch,
`deploy/local/ferretdb/patches/pushdown.patch`), and that changes no result.

Hypothesis writes documents whose fields hold every kind of value (strings with quotes,
backslashes and any character, numbers of each BSON type, booleans, null, ObjectIds, dates,
arrays, embedded documents, or nothing at all) and filters of equalities, `$eq`, `$in` and
`$and` over them. Each filter is run as it is, pushed down, and wrapped in a one-branch
`$or`, which no store pushes down: FerretDB then evaluates it in memory, its unpatched path.
Both must return the same documents in the same order. On MongoDB the test checks the same
equality and costs nothing more.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from bson import Int64, ObjectId
from hypothesis import HealthCheck, event, given, note
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection

from shared.mongo.client import Document, Store, connect_store
from shared.settings import ServiceSettings

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
    st.sampled_from([Int64(1), Int64(2**40)]),
    st.sampled_from([1.0, 0.5, -0.0, 1e300]),
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


def condition(draw: st.DrawFn, anchor: Any) -> Any:
    """A value to equal, `$eq` or `$in`: the anchor document's value (or one of its array's
    elements) two times in three, so that conjunctions match too."""
    known = [anchor, *anchor] if isinstance(anchor, list) else [anchor]
    one = st.one_of(st.sampled_from(known), st.sampled_from(known), values)
    one = one if anchor is not MISSING else values
    form = draw(st.sampled_from(["plain", "eq", "in"]))
    if form == "plain":
        return draw(one)
    if form == "eq":
        return {"$eq": draw(one)}
    return {"$in": draw(st.lists(one, min_size=1, max_size=4))}


@st.composite
def filters(draw: st.DrawFn, docs: list[Document]) -> Document:
    """Conditions on `_id` and the fields, side by side or in a `$and`."""
    anchor = draw(st.sampled_from(docs)) if docs else {}
    keys = draw(st.lists(st.sampled_from(["_id", *FIELDS]), min_size=1, max_size=3, unique=True))
    parts = [{key: condition(draw, anchor.get(key, MISSING))} for key in keys]
    if len(parts) > 1 and draw(st.booleans()):
        return {"$and": parts}
    return {k: v for part in parts for k, v in part.items()}


@dataclass
class Tally:
    examples: int = 0
    filters: int = 0
    pushed: int = 0
    matched: int = 0


@pytest.fixture(scope="module")
async def store(settings: ServiceSettings) -> AsyncIterator[Store]:
    opened = await connect_store(settings.mongodb_url)
    try:
        yield opened
    finally:
        await opened.client.drop_database(settings.database_name("pushdown"))
        await opened.close()


@pytest.fixture(scope="module")
async def collection(store: Store, settings: ServiceSettings) -> AsyncCollection[Document]:
    """Indexed as the services index: a field alone, and first of a compound index."""
    things = store.client[settings.database_name("pushdown")][f"things_{uuid.uuid4().hex[:8]}"]
    await things.create_index([("a", ASCENDING)])
    await things.create_index([("b", ASCENDING), ("a", ASCENDING)])
    return things


@pytest.fixture(scope="module")
def tally() -> Tally:
    return Tally()


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
async def test_pushed_down_filters_return_what_the_unpatched_evaluation_returns(
    collection: AsyncCollection[Document], tally: Tally, data: st.DataObject
) -> None:
    docs = data.draw(documents(), label="documents")
    await collection.delete_many({})
    if docs:
        await collection.insert_many(docs)
    for _ in range(4):
        flt = data.draw(filters(docs), label="filter")
        note(f"filter {flt!r}")
        pushed = await collection.find(flt).sort("_id", ASCENDING).to_list()
        in_memory = await collection.find({"$or": [flt]}).sort("_id", ASCENDING).to_list()
        assert pushed == in_memory, f"{flt!r}: pushed {pushed!r}, in memory {in_memory!r}"
        if await pushed_down(collection, flt):
            tally.pushed += 1
            event("pushed down")
        tally.filters += 1
        tally.matched += bool(pushed)
    tally.examples += 1


def test_the_property_ran_and_pushed_down(tally: Tally, store: Store) -> None:
    """Zero examples, or none pushed down on the local store, would be a silent pass."""
    print(f"\npushdown vs in memory: {tally}")
    assert tally.examples > 0 and tally.matched > tally.filters // 4
    if store.ferretdb:
        assert tally.pushed > tally.filters // 4
