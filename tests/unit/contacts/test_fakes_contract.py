"""The fakes keep the contract of the MongoDB adapters where no handler test reaches it: list
filters, sort orders and keyset pages (the HTTP routes read them), the membership page, values
of a field by type, and the version guards of organisations and fields. A fake that drifted
here would let the handler tests pass against behaviour production does not have."""

from __future__ import annotations

from typing import Any

import pytest

from services.contacts.domain.commands import ApplyContactAction, UpdateContact
from services.contacts.domain.errors import DuplicateField, VersionConflict
from services.contacts.domain.listing import SORTS, ContactFilter
from services.contacts.domain.model import Contact
from services.contacts.service_layer import queries
from services.contacts.service_layer.ports import (
    ContactImports,
    ContactMemberships,
    ContactRepository,
    FieldRepository,
    FieldValuesJobs,
    GroupDirectory,
    ImportReplies,
    OrganizationRepository,
)
from shared.contactql.values import FieldType
from tests.fakes.contacts import (
    ORG,
    OTHER_ORG,
    ContactsHarness,
    FakeContactImports,
    FakeContactMemberships,
    FakeContactRepository,
    FakeContactStore,
    FakeFieldRepository,
    FakeFieldValuesJobs,
    FakeGroupDirectory,
    FakeImportReplies,
    FakeOrganizationRepository,
    FakeOutbox,
    contact_input,
    phone,
    principal,
)


def test_every_port_has_a_fake() -> None:
    """Checked by mypy: a fake that drifts from its port's Protocol fails type-checking here."""
    outbox = FakeOutbox()
    store = FakeContactStore(outbox)
    contacts: ContactRepository = FakeContactRepository(store)
    imports: ContactImports = FakeContactImports(store)
    memberships: ContactMemberships = FakeContactMemberships(store)
    organizations: OrganizationRepository = FakeOrganizationRepository(outbox)
    fields: FieldRepository = FakeFieldRepository(outbox)
    groups: GroupDirectory = FakeGroupDirectory()
    replies: ImportReplies = FakeImportReplies(outbox)
    field_values: FieldValuesJobs = FakeFieldValuesJobs()
    ports = (contacts, imports, memberships, organizations, fields, groups, replies, field_values)
    assert len({type(port) for port in ports}) == 8


async def act(service: ContactsHarness, action: str, *ids: str) -> None:
    await service.bus.handle(ApplyContactAction(by=principal(), action=action, contact_ids=[*ids]))


async def touch(service: ContactsHarness, contact: Contact) -> None:
    """A change that moves `updated_at` and nothing a sort reads otherwise."""
    changes = contact_input(email=f"{contact.id}@example.org")
    await service.bus.handle(UpdateContact(by=principal(), contact_id=contact.id, changes=changes))


async def names(service: ContactsHarness, flt: ContactFilter) -> set[str | None]:
    found = await service.contacts.list(ORG, flt, sort="name", after=None, limit=100)
    assert await service.contacts.count(ORG, flt) == len(found)
    return {c.name for c in found}


@pytest.fixture
async def listed(service: ContactsHarness) -> ContactsHarness:
    """Four contacts of the organisation in several states and groups, one of another
    organisation, and a deleted one."""
    await service.define_field("age", "number")
    amina = await service.create(
        phone(1), name="Amina Yusuf", email="amina@example.org", category="parent"
    )
    bello = await service.create(phone(2), name="Bello", category="teacher", fields={"age": "12"})
    chidi = await service.create(phone(3), name="Chidi", category="parent")
    await service.create(phone(4), name="amira", fields={"age": "30"})
    await service.create(phone(5), name="Amina Other", org_id=OTHER_ORG)
    gone = await service.create(phone(6), name="Amina Gone")
    await service.group_with_members("group-1", amina.id, chidi.id)
    await act(service, "block", bello.id)
    await act(service, "archive", chidi.id, gone.id)
    await act(service, "delete", gone.id)
    return service


@pytest.mark.parametrize(
    ("filter_", "expected"),
    [
        ({}, {"Amina Yusuf", "amira"}),
        ({"status": None}, {"Amina Yusuf", "Bello", "Chidi", "amira"}),
        ({"status": "blocked"}, {"Bello"}),
        ({"q": " AMI "}, {"Amina Yusuf", "amira"}),
        ({"q": "example.ORG"}, {"Amina Yusuf"}),
        ({"q": phone(3)[-6:], "status": None}, {"Chidi"}),
        ({"category": "parent", "status": None}, {"Amina Yusuf", "Chidi"}),
        ({"group": "group-1"}, {"Amina Yusuf"}),
        ({"within_groups": ("group-1", "group-9"), "status": None}, {"Amina Yusuf", "Chidi"}),
        ({"within_groups": ()}, set()),
    ],
)
async def test_a_list_honours_each_filter(
    listed: ContactsHarness, filter_: dict[str, Any], expected: set[str]
) -> None:
    assert await names(listed, ContactFilter(**filter_)) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("age > 18", {"amira"}),
        ("age < 18 OR name ~ chi", {"Bello", "Chidi"}),
        ('group = "Group-1"', {"Amina Yusuf", "Chidi"}),
        ("status = blocked", {"Bello"}),
    ],
)
async def test_a_list_honours_a_query(
    listed: ContactsHarness, query: str, expected: set[str]
) -> None:
    parsed = await queries.parse_contact_query(listed.uow, ORG, query)

    flt = queries.contact_filter(status="any", query=parsed)

    assert await names(listed, flt) == expected


@pytest.fixture
async def sortable(service: ContactsHarness) -> list[Contact]:
    """c0 and c1 created at the same moment (the id breaks the tie), c2 and c3 later; c2 and
    then c0 changed later still."""
    created = [await service.create(phone(0), name="Chidi")]
    created.append(await service.create(phone(1), name="amira"))
    for n, name in ((2, "Bello"), (3, "Dayo")):
        service.clock.advance()
        created.append(await service.create(phone(n), name=name))
    for n in (2, 0):
        service.clock.advance(10)
        await touch(service, created[n])
    return created


EXPECTED_ORDER = {
    "created_at": [0, 1, 2, 3],
    "-created_at": [3, 2, 1, 0],
    "updated_at": [1, 3, 2, 0],
    "-updated_at": [0, 2, 3, 1],
    "name": [1, 2, 0, 3],
    "-name": [3, 0, 2, 1],
}


@pytest.mark.parametrize("sort", SORTS)
async def test_each_sort_orders_and_pages_by_keyset(
    service: ContactsHarness, sortable: list[Contact], sort: str
) -> None:
    every = ContactFilter(status=None)
    whole = await service.contacts.list(ORG, every, sort=sort, after=None, limit=10)

    paged: list[Contact] = []
    after: tuple[Any, str] | None = None
    while page := await service.contacts.list(ORG, every, sort=sort, after=after, limit=1):
        paged += page
        after = (cursor_value(page[-1], SORTS[sort][0]), page[-1].id)

    expected = [sortable[n].id for n in EXPECTED_ORDER[sort]]
    assert [c.id for c in whole] == expected
    assert [c.id for c in paged] == expected


def cursor_value(contact: Contact, attribute: str) -> Any:
    """What the HTTP route puts in its cursor for the last contact of a page."""
    return (
        (contact.name or "").casefold() if attribute == "name_sort" else getattr(contact, attribute)
    )


async def test_the_membership_page_goes_by_id(service: ContactsHarness) -> None:
    ids = [(await service.create(phone(n))).id for n in range(4)]
    await service.group_with_members("group-1", ids[0], ids[2], ids[3])

    first = await service.memberships.memberships(ORG, None, 2)
    rest = await service.memberships.memberships(ORG, first[-1][0], 2)

    assert first + rest == [(ids[0], ["group-1"]), (ids[2], ["group-1"]), (ids[3], ["group-1"])]
    assert await service.memberships.memberships(OTHER_ORG, None, 10) == []


async def test_values_of_a_field_are_found_by_their_stored_type(service: ContactsHarness) -> None:
    await service.define_field("score")
    texts = [(await service.create(phone(n), fields={"score": str(n)})).id for n in range(3)]
    await service.create(phone(9))

    every = await service.contacts.with_field_value(ORG, "score", other_than_type=None, limit=9)
    not_text = await service.contacts.with_field_value(
        ORG, "score", other_than_type="text", limit=9
    )
    first_two = await service.contacts.with_field_value(
        ORG, "score", other_than_type="number", limit=2
    )

    assert [c.id for c in every] == texts
    assert not_text == []
    assert [c.id for c in first_two] == texts[:2]


async def test_a_stale_organisation_write_is_refused(service: ContactsHarness) -> None:
    stale = await service.organizations.get_or_create(ORG)
    fresh = await service.organizations.get_or_create(ORG)
    fresh.update({"name": "First"}, service.clock())
    await service.organizations.save(fresh, 0)

    stale.update({"name": "Second"}, service.clock())
    with pytest.raises(VersionConflict):
        await service.organizations.save(stale, 0)

    assert (await service.organizations.get_or_create(ORG)).name == "First"


async def test_stale_field_writes_are_refused(service: ContactsHarness) -> None:
    definition = await service.define_field("score")
    stale = await service.fields.get(ORG, "score")
    assert stale is not None
    definition.change({"type": FieldType.NUMBER}, service.clock())
    await service.fields.save(definition, 1)

    assert not await service.fields.values_followed(stale, None)
    stale.change({"label": "Marks"}, service.clock())
    with pytest.raises(VersionConflict):
        await service.fields.save(stale, 1)
    with pytest.raises(DuplicateField):  # only a deleted field's tombstone can be replaced
        await service.fields.add(stale, replacing=definition)

    stored = await service.fields.get(ORG, "score")
    assert stored is not None
    assert (stored.label, stored.version, stored.values_pending) == ("Score", 2, True)
