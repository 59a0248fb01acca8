"""Finding contacts by phone, with and without phone hints (`PhoneDirectory`), in the real store.

Hints are written after their contact and are never trusted: a missing, stale or foreign hint
must give the same answer as the `org_phone` search, and be repaired by it.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from pymongo.asynchronous.collection import AsyncCollection

from services.contacts.adapters.contact_collection import ContactCollection
from services.contacts.adapters.contact_imports import MongoContactImports
from services.contacts.adapters.contact_repository import MongoContactRepository
from services.contacts.adapters.phone_directory import hint_id
from services.contacts.domain.model import Contact, ContactStatus
from shared.mongo.client import Document, Store, connect_store
from shared.mongo.outbox import OutboxWakeup
from shared.settings import ServiceSettings

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
async def store(settings: ServiceSettings) -> AsyncIterator[Store]:
    opened = await connect_store(settings.mongodb_url)
    name = settings.database_name("phonehints")
    try:
        yield opened
    finally:
        await opened.client.drop_database(name)
        await opened.close()


class Contacts:
    """The contact adapters over one collection, as the service wires them."""

    def __init__(self, collection: ContactCollection) -> None:
        self.collection = collection
        self.repo = MongoContactRepository(collection)
        self.imports = MongoContactImports(collection)

    async def ids_by_phone(self, org_id: str, phones: list[str]) -> dict[str, str]:
        return await self.collection.ids_by_phone(org_id, phones)


@pytest.fixture(params=[True, False], ids=["hints", "search"])
async def repo(request: pytest.FixtureRequest, store: Store, settings: ServiceSettings) -> Contacts:
    db = store.client[settings.database_name("phonehints")]
    collection = ContactCollection(db, store, OutboxWakeup(), phone_hints=request.param)
    await collection.create_indexes()
    return Contacts(collection)


def new_contact(org: str, phone: str) -> Contact:
    return Contact.create(id=str(uuid.uuid4()), org_id=org, phone=phone, now=NOW, attributes={})


def hints(repo: Contacts) -> AsyncCollection[Document]:
    """The hint collection, whether or not these adapters keep hints."""
    return repo.collection.collection.database["contact_phones"]


async def test_a_new_contact_is_found_by_its_phone_and_only_in_its_organisation(
    repo: Contacts, org: str
) -> None:
    a, b = new_contact(org, "+2348030000001"), new_contact(org, "+2348030000002")
    await repo.repo.add(a)
    refused = await repo.repo.add_many([b, new_contact(org, "+2348030000001")])
    assert set(refused) == {1} and refused[1].details["existing_id"] == a.id

    found = await repo.ids_by_phone(org, ["+2348030000001", "+2348030000002", "+2348030000009"])
    assert found == {"+2348030000001": a.id, "+2348030000002": b.id}
    assert await repo.ids_by_phone(f"{org}-other", ["+2348030000001"]) == {}
    recorded = await hints(repo).find_one({"_id": hint_id(org, "+2348030000002")})
    if repo.collection.phones is not None:
        assert recorded == {
            "_id": hint_id(org, "+2348030000002"),
            "phone": "+2348030000002",
            "contact_id": b.id,
        }
    else:
        assert recorded is None  # nothing kept where the index answers


async def test_missing_stale_and_foreign_hints_give_the_searched_answer_and_are_repaired(
    repo: Contacts, org: str
) -> None:
    a, b = new_contact(org, "+2348031000001"), new_contact(org, "+2348031000002")
    await repo.repo.add_many([a, b])
    other = new_contact(f"{org}-x", "+2348031000003")
    await repo.repo.add(other)
    # missing: the process died between the contact and its hint
    await hints(repo).delete_one({"_id": hint_id(org, "+2348031000001")})
    # stale: names a contact that now holds another phone
    await hints(repo).replace_one(
        {"_id": hint_id(org, "+2348031000002")},
        {"phone": "+2348031000002", "contact_id": a.id},
        upsert=True,
    )
    # foreign: names another organisation's contact
    await hints(repo).replace_one(
        {"_id": hint_id(org, "+2348031000003")},
        {"phone": "+2348031000003", "contact_id": other.id},
        upsert=True,
    )

    found = await repo.ids_by_phone(org, ["+2348031000001", "+2348031000002", "+2348031000003"])

    assert found == {"+2348031000001": a.id, "+2348031000002": b.id}
    if repo.collection.phones is not None:
        for phone, holder in (("+2348031000001", a.id), ("+2348031000002", b.id)):
            doc = await hints(repo).find_one({"_id": hint_id(org, phone)})
            assert doc is not None and doc["contact_id"] == holder


async def test_a_renumbered_contact_is_found_by_its_new_phone_only(
    repo: Contacts, org: str
) -> None:
    a = new_contact(org, "+2348032000001")
    await repo.repo.add(a)
    read_version = a.version
    a.update({"phone": "+2348032000002"}, NOW, actor="user:test")
    await repo.repo.save(a, read_version)

    assert await repo.ids_by_phone(org, ["+2348032000001"]) == {}
    assert await repo.ids_by_phone(org, ["+2348032000002"]) == {"+2348032000002": a.id}
    if repo.collection.phones is not None:  # recorded by the save itself, not by a search
        doc = await hints(repo).find_one({"_id": hint_id(org, "+2348032000002")})
        assert doc is not None and doc["contact_id"] == a.id

    # The old number goes to a new contact: the stale hint is replaced.
    c = new_contact(org, "+2348032000001")
    await repo.repo.add(c)
    assert await repo.ids_by_phone(org, ["+2348032000001"]) == {"+2348032000001": c.id}


async def test_an_import_reads_contacts_with_their_marks_by_phone_and_never_a_deleted_one(
    repo: Contacts, org: str
) -> None:
    kept, gone = new_contact(org, "+2348033000001"), new_contact(org, "+2348033000002")
    mark = {"import_id": "imp-1", "row": 7, "outcome": "created"}
    await repo.imports.add_many([kept, gone], [mark, mark])
    gone.change_status(ContactStatus.ARCHIVED, reason="test", actor="tester", now=NOW)
    await repo.repo.save(gone, 1)
    gone.delete(actor="tester", now=NOW)
    await repo.repo.save(gone, 2)

    found = await repo.imports.find_for_import(org, ["+2348033000001", "+2348033000002"])

    assert set(found) == {"+2348033000001"}
    contact, stored_marks = found["+2348033000001"]
    assert contact.id == kept.id and stored_marks == {"imp-1": mark}
    # The deleted contact's number is free again, whatever its old hint says.
    again = new_contact(org, "+2348033000002")
    assert await repo.imports.add_many([again], [mark]) == set()
    found = await repo.imports.find_for_import(org, ["+2348033000002"])
    assert found["+2348033000002"][0].id == again.id
