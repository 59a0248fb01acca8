"""The marks import rows leave on contacts, in the real store (`MongoContactImports`): each
import's under its own id, so one import's write never hides another's; the latest
`MARKS_KEPT` are kept, oldest dropped first; a version guard still refuses a stale change; a
mark left by the store's earlier layout (one `last_import`) is still read."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from services.contacts.adapters.contact_collection import LAST_IMPORT, ContactCollection
from services.contacts.adapters.contact_imports import MongoContactImports
from services.contacts.domain.model import Contact
from services.contacts.service_layer.ports import MARKS_KEPT, ImportedChange, ImportMark
from shared.mongo.outbox import OutboxWakeup
from shared.settings import ServiceSettings
from tests.support.scratch import scratch_database

NOW = datetime(2026, 5, 1, tzinfo=UTC)
PHONE = "+254712000001"


@pytest.fixture
async def imports(settings: ServiceSettings) -> AsyncIterator[MongoContactImports]:
    async with scratch_database(settings, f"marks_{uuid.uuid4().hex[:6]}") as (store, db):
        collection = ContactCollection(db, store, OutboxWakeup())
        await collection.create_indexes()
        yield MongoContactImports(collection)


def mark(import_id: str, row: int, outcome: str = "updated") -> ImportMark:
    return {"import_id": import_id, "row": row, "outcome": outcome}


async def read(imports: MongoContactImports, org: str) -> tuple[Contact, dict[str, ImportMark]]:
    contact, marks = (await imports.find_for_import(org, [PHONE]))[PHONE]
    return contact, dict(marks)


async def test_each_import_keeps_its_own_mark_and_the_latest_are_kept(
    imports: MongoContactImports, org: str
) -> None:
    contact = Contact.create(id=str(uuid.uuid4()), org_id=org, phone=PHONE, now=NOW, attributes={})
    assert await imports.add_many([contact], [mark("a", 2, "created")]) == set()
    found, marks = await read(imports, org)
    assert marks == {"a": mark("a", 2, "created")}

    # Import b changes the contact; import c only sees it.
    found.update({"name": "From B"}, NOW, actor="user:test")
    change = ImportedChange(found, 1, mark("b", 7), marks)
    assert await imports.save_imported([change]) == set()
    _, marks = await read(imports, org)
    await imports.mark(org, [(found.id, mark("c", 3, "unchanged"), marks)])
    stored, marks = await read(imports, org)
    assert stored.name == "From B" and stored.version == 2
    assert marks == {
        "a": mark("a", 2, "created"),
        "b": mark("b", 7),
        "c": mark("c", 3, "unchanged"),
    }

    # A change read before b's is refused, and leaves no mark.
    stale, _ = await read(imports, org)
    stale.update({"name": "Stale"}, NOW, actor="user:test")
    refused = ImportedChange(stale, 1, mark("d", 4), marks)
    assert await imports.save_imported([refused]) == {stale.id}
    assert "d" not in (await read(imports, org))[1]

    for n in range(MARKS_KEPT):
        _, marks = await read(imports, org)
        await imports.mark(org, [(found.id, mark(f"later-{n}", 2, "unchanged"), marks)])
    _, marks = await read(imports, org)
    assert list(marks) == [f"later-{n}" for n in range(MARKS_KEPT)]


async def test_a_mark_of_the_earlier_layout_is_read(imports: MongoContactImports, org: str) -> None:
    contact = Contact.create(id=str(uuid.uuid4()), org_id=org, phone=PHONE, now=NOW, attributes={})
    await imports.add_many([contact], [mark("new", 2, "created")])
    collection = imports._contacts.collection
    await collection.update_one(
        {"_id": contact.id},
        {"$unset": {"import_marks": ""}, "$set": {LAST_IMPORT: mark("old", 5, "created")}},
    )
    _, marks = await read(imports, org)
    assert marks == {"old": mark("old", 5, "created")}

    await imports.mark(org, [(contact.id, mark("next", 9, "unchanged"), marks)])
    _, marks = await read(imports, org)
    assert marks == {"old": mark("old", 5, "created"), "next": mark("next", 9, "unchanged")}
