"""A group's contacts page (`GET /v1/contacts?group=`) in the default order, on the real store.

The contacts service reads such a page by walking the group's memberships in creation order
(`shared.mongo.memberships`, `order_key`) and reading their contacts by id; whatever it walks,
every page must be exactly the one the listing index gives: the group's live contacts of the
status asked, by (created_at, id), cursor after cursor. A contactql query that requires the
group (`group = X`, alone or in an AND) is walked the same way. Creation times tie, some members are
archived or deleted, and a filter can leave out most of the group (the walk then gives up for
the listing index). A membership written before it carried its order key is filled in once.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from services.contacts.adapters.contact_collection import ContactCollection
from services.contacts.adapters.contact_memberships import MongoContactMemberships
from services.contacts.adapters.contact_repository import MongoContactRepository
from services.contacts.domain.listing import SORTS, ContactFilter
from services.contacts.domain.model import Contact, ContactStatus
from shared.contactql.predicates import AllOf, Attribute, Equals, Predicate, Target
from shared.mongo.memberships import FILLED_MARK
from shared.mongo.outbox import OutboxWakeup
from shared.settings import ServiceSettings
from tests.support.scratch import scratch_database

START = datetime(2026, 3, 1, tzinfo=UTC)
GROUP = "8d0f6c1e-0000-4000-8000-00000000000a"
OTHER_GROUP = "8d0f6c1e-0000-4000-8000-00000000000b"


class GroupPages:
    def __init__(self, collection: ContactCollection, org: str) -> None:
        self.collection = collection
        self.repo = MongoContactRepository(collection)
        self.memberships = MongoContactMemberships(collection)
        self.org = org
        self.contacts: dict[str, Contact] = {}
        self.members: set[str] = set()

    async def add(self, count: int, *, status: ContactStatus = ContactStatus.ACTIVE) -> list[str]:
        """`count` contacts created a few to the same millisecond (ties broken by id)."""
        made = []
        for _ in range(count):
            n = len(self.contacts)
            attributes = {} if status is ContactStatus.ACTIVE else {"status": status}
            contact = Contact.create(
                id=str(uuid.uuid4()),
                org_id=self.org,
                phone=f"+23480300{n:05d}",
                now=START + timedelta(milliseconds=(n * 2) // 3),
                attributes=attributes,
            )
            self.contacts[contact.id] = contact
            made.append(contact)
        await self.repo.add_many(made)
        return [c.id for c in made]

    async def join(self, group: str, ids: list[str], sequence: int) -> None:
        await self.memberships.apply(self.org, group, sequence, ids, [])
        if group == GROUP:
            self.members |= set(ids)

    def expected(self, status: str, sort: str) -> list[str]:
        field, direction = SORTS[sort]
        assert field == "created_at"
        live = [
            c
            for c in self.contacts.values()
            if c.id in self.members and c.status.value == status and not c.deleted
        ]
        live.sort(key=lambda c: (c.created_at, c.id), reverse=direction < 0)
        return [c.id for c in live]

    async def walked(
        self, status: str, sort: str, limit: int, query: Predicate | None = None
    ) -> list[str]:
        """Every page, each after the last one's cursor, as the API follows them: of the group
        (`?group=`), or of `query` (which requires the group) when given."""
        found: list[Contact] = []
        flt = (
            ContactFilter(status=status, group=GROUP)
            if query is None
            else ContactFilter(status=status, query=query)
        )
        while True:
            after = (found[-1].created_at, found[-1].id) if found else None
            page = await self.repo.list(self.org, flt, sort=sort, after=after, limit=limit)
            assert len(page) <= limit
            found += page
            if len(page) < limit:
                return [c.id for c in found]


@pytest.fixture
async def pages(settings: ServiceSettings, org: str) -> AsyncIterator[GroupPages]:
    async with scratch_database(settings, f"grouppages_{uuid.uuid4().hex[:6]}") as (store, db):
        collection = ContactCollection(db, store, OutboxWakeup())
        await collection.create_indexes()
        yield GroupPages(collection, org)


async def seeded(pages: GroupPages) -> None:
    """68 members: 56 active, 8 archived (created first), 4 deleted; 10 contacts outside the
    group, 6 of them in another group."""
    archived = await pages.add(8, status=ContactStatus.ARCHIVED)  # the oldest
    active = await pages.add(60)
    outside = await pages.add(10)
    await pages.join(GROUP, active[:30] + archived, 1)
    await pages.join(GROUP, active[30:], 2)
    await pages.join(OTHER_GROUP, outside[:6], 1)
    for contact_id in active[10:14]:
        await pages.collection.collection.update_one(
            {"_id": contact_id}, {"$set": {"deleted": True}}
        )
        pages.contacts[contact_id].deleted = True


@pytest.mark.parametrize("sort", ["-created_at", "created_at"])
async def test_every_page_of_a_group_is_the_listing_order(pages: GroupPages, sort: str) -> None:
    await seeded(pages)
    expected = pages.expected("active", sort)
    assert len(expected) == 56
    for limit in (1, 3, 7, 50, 100):
        assert await pages.walked("active", sort, limit) == expected, limit


async def test_a_query_requiring_the_group_is_walked_the_same(pages: GroupPages) -> None:
    await seeded(pages)
    expected = pages.expected("active", "-created_at")
    excluded = expected[5]
    in_group = Equals(Target(attribute=Attribute.GROUP), GROUP)
    not_one = Equals(Target(attribute=Attribute.ID), excluded, negated=True)
    for query in (in_group, AllOf((not_one, in_group))):
        wanted = expected if query is in_group else [i for i in expected if i != excluded]
        for limit in (1, 4, 50):
            assert await pages.walked("active", "-created_at", limit, query) == wanted, limit


async def test_a_filter_leaving_out_most_members_still_gets_every_one(pages: GroupPages) -> None:
    await seeded(pages)
    expected = pages.expected("archived", "-created_at")
    assert len(expected) == 8
    for limit in (1, 2, 50):
        assert await pages.walked("archived", "-created_at", limit) == expected, limit
    assert await pages.walked("blocked", "-created_at", 5) == []


async def test_memberships_without_their_order_key_are_filled_once(pages: GroupPages) -> None:
    await seeded(pages)
    index = pages.collection.membership_index
    await index.collection.update_many({}, {"$unset": {"created_at": ""}})
    await index.collection.delete_one({"_id": FILLED_MARK})

    assert await index.backfill(pages.collection.collection) == 74
    assert await index.backfill(pages.collection.collection) == 0
    expected = pages.expected("active", "-created_at")
    assert await pages.walked("active", "-created_at", 4) == expected
    in_order = await index.ordered_page(GROUP, 1, None, 200)
    assert [c for _, c in in_order] == sorted(
        pages.members, key=lambda i: (pages.contacts[i].created_at, i)
    )
