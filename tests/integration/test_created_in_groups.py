"""Contacts an import creates in their groups, in the real store, on both sides.

The contacts service writes the new contact with its groups and lists it among the members at
once; the groups service's later `GroupMembershipChanged` for it must write nothing more. The
groups service projects the contact in those groups but counts a member only as the group's own
event lists it; a removal that comes before the contact is seen keeps its late `ContactCreated`
out of the group."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from services.contacts.adapters.contact_collection import ContactCollection
from services.contacts.adapters.contact_imports import MongoContactImports
from services.contacts.adapters.contact_memberships import MongoContactMemberships
from services.contacts.domain.model import Contact
from services.groups.adapters.contact_projection import MongoContactProjection
from services.groups.domain.member import MemberContact
from shared.mongo.outbox import OutboxWakeup
from shared.settings import ServiceSettings
from tests.support.scratch import scratch_database

NOW = datetime(2026, 5, 1, 9, 30, 15, 123000, tzinfo=UTC)


@pytest.fixture
async def contacts(settings: ServiceSettings) -> AsyncIterator[ContactCollection]:
    async with scratch_database(settings, f"created_in_{uuid.uuid4().hex[:6]}") as (store, db):
        collection = ContactCollection(db, store, OutboxWakeup())
        await collection.create_indexes()
        yield collection


@pytest.fixture
async def projection(settings: ServiceSettings) -> AsyncIterator[MongoContactProjection]:
    async with scratch_database(settings, f"projected_in_{uuid.uuid4().hex[:6]}") as (store, db):
        projection = MongoContactProjection(db, store)
        await projection.create_indexes()
        yield projection


async def test_the_contacts_side_writes_a_new_member_once(
    contacts: ContactCollection, org: str
) -> None:
    imports, memberships = MongoContactImports(contacts), MongoContactMemberships(contacts)
    index = contacts.membership_index
    new = [
        Contact.create(
            id=str(uuid.uuid4()), org_id=org, phone=f"+2547120000{n:02d}", now=NOW,
            attributes={}, groups=groups,
        )
        for n, groups in enumerate((["g1", "g2"], ["g1"], []))
    ]  # fmt: skip
    mark = {"import_id": "imp", "row": 2, "outcome": "created"}
    assert await imports.add_many(new, [mark] * 3) == set()
    await imports.enter_groups(new)
    await imports.enter_groups(new[:1])  # a redelivered batch: nothing twice

    stored = {d["_id"]: d for d in await contacts.collection.find({"org_id": org}).to_list()}
    assert [stored[c.id]["groups"] for c in new] == [["g1", "g2"], ["g1"], []]
    assert await index.count("g1") == 2 and await index.count("g2") == 1
    first, second = new[0].id, new[1].id
    # The group's order for pages: by creation time, as the contacts' own listing.
    assert [c for _, c in await index.ordered_page("g1", -1, None, 10)] == sorted(
        [first, second], reverse=True
    )

    await memberships.apply(org, "g1", 5, [first, second], [])
    after = {d["_id"]: d for d in await contacts.collection.find({"org_id": org}).to_list()}
    assert after[first] == stored[first] and after[second] == stored[second]  # nothing written
    assert await index.count("g1") == 2

    await memberships.apply(org, "g1", 6, [], [first])
    await memberships.apply(org, "g1", 5, [first], [])  # older: stays out
    gone = await contacts.collection.find_one({"_id": first})
    assert gone is not None and gone["groups"] == ["g2"]
    assert await index.count("g1") == 1


async def test_a_contact_created_in_a_group_but_not_listed_is_listed_by_the_groups_event(
    contacts: ContactCollection, org: str
) -> None:
    """A crash between the insert and the listing, and the batch never redelivered (the
    importer had moved on): the group's own event repairs the listing, writing nothing else."""
    imports, memberships = MongoContactImports(contacts), MongoContactMemberships(contacts)
    contact = Contact.create(
        id=str(uuid.uuid4()), org_id=org, phone="+254712000001", now=NOW, attributes={},
        groups=["g1"],
    )  # fmt: skip
    mark = {"import_id": "i", "row": 2, "outcome": "created"}
    assert await imports.add_many([contact], [mark]) == set()
    stored = await contacts.collection.find_one({"_id": contact.id})
    assert await contacts.membership_index.count("g1") == 0

    await memberships.apply(org, "g1", 7, [contact.id], [])

    assert await contacts.membership_index.count("g1") == 1
    assert await contacts.collection.find_one({"_id": contact.id}) == stored


async def test_the_groups_side_counts_a_member_as_its_group_lists_it(
    projection: MongoContactProjection, org: str
) -> None:
    created, placeholder, unseen = (str(uuid.uuid4()) for _ in range(3))
    assert await projection.add_many([MemberContact(id=created, org_id=org, groups=["g1"])]) == (
        set()
    )
    assert (await projection.get_many(org, [created]))[created].groups == ["g1"]
    assert await projection.count_members(org, "g1") == 0

    joined = await projection.add_to_group(org, "g1", [created, placeholder], enter_unseen=True)
    assert joined == (2, [])
    entered = await projection.get(org, placeholder)
    assert entered is not None and (entered.version, entered.groups) == (0, ["g1"])
    assert await projection.add_to_group(org, "g1", [created]) == (0, [])  # redelivered
    assert await projection.count_members(org, "g1") == 2
    assert [c.id for c in await projection.members(org, "g1", after=None, limit=10)] == sorted(
        [created, placeholder]
    )

    assert await projection.remove_from_group(org, "g1", [created, unseen]) == 1
    late = MemberContact(id=unseen, org_id=org, name="Late", groups=["g1"], version=1)
    assert await projection.add_many([late]) == {unseen}
    kept_out = await projection.get(org, unseen)
    assert kept_out is not None and (kept_out.gone, kept_out.groups) == (True, [])
    assert await projection.count_members(org, "g1") == 1


async def test_an_import_enters_unseen_contacts_and_no_others(
    projection: MongoContactProjection, org: str
) -> None:
    """An import's membership enters the contacts never seen as active placeholders; one
    projected by its ContactCreated in the meantime (the placeholder's insert refused) is
    decided as it is now, and one of another organisation is refused."""
    unseen, blocked, elsewhere = (str(uuid.uuid4()) for _ in range(3))
    await projection.add_many(
        [
            MemberContact(id=blocked, org_id=org, status="blocked", version=1),
            MemberContact(id=elsewhere, org_id=org + "-other", version=1),
        ]
    )

    entered = await projection.enter_placeholders(org, "g1", [unseen, blocked, elsewhere, unseen])

    assert {i: c.status for i, c in entered.items()} == {unseen: "active", blocked: "blocked"}
    placeholder = await projection.get(org, unseen)
    assert placeholder is not None and (placeholder.version, placeholder.groups) == (0, ["g1"])
    joined = await projection.add_to_group(
        org, "g1", [unseen, blocked, elsewhere], enter_unseen=True
    )
    assert joined == (1, [blocked, elsewhere])
    assert [c.id for c in await projection.members(org, "g1", after=None, limit=10)] == [unseen]
    stranger = str(uuid.uuid4())
    assert await projection.add_to_group(org, "g2", [stranger]) == (0, [stranger])
    assert await projection.get(org, stranger) is None
