"""The groups service's events through the bus, as the Kafka consumer hands them over: the
directory of groups and `contact.groups` follow them in sequence order, whatever arrives late or
twice, and an ordered event without its sequence can never be handled."""

from __future__ import annotations

import pytest

from services.contacts.service_layer import queries
from shared.contracts.envelope import EventPayload
from shared.messagebus import UnprocessableMessage
from tests.fakes.contacts import (
    ORG,
    OTHER_ORG,
    ContactsHarness,
    group_created,
    group_deleted,
    group_updated,
    membership_changed,
    phone,
)
from tests.support.messages import received


async def groups_of(service: ContactsHarness, contact_id: str, org_id: str = ORG) -> list[str]:
    return (await service.stored(contact_id, org_id)).groups


async def test_a_created_group_joins_the_directory(service: ContactsHarness) -> None:
    await service.receive(group_created("group-1", "Nairobi Parents", staff=["u1"]), 1)

    [entry] = await service.groups.entries(ORG)
    assert (entry.id, entry.name, entry.type, entry.staff) == (
        "group-1",
        "Nairobi Parents",
        "manual",
        ("u1",),
    )
    assert await service.groups.names(ORG) == {"nairobi parents": "group-1", "group-1": "group-1"}
    assert await service.groups.entries(OTHER_ORG) == []


async def test_an_update_renames_the_group_for_queries(service: ContactsHarness) -> None:
    contact = await service.create(phone(1))
    await service.group_with_members("group-1", contact.id)

    await service.receive(group_updated("group-1", "Kano Parents"), 3)

    parsed = await queries.parse_contact_query(service.uow, ORG, 'group = "kano parents"')
    flt = queries.contact_filter(status=None, query=parsed)
    assert [
        c.id for c in await service.contacts.list(ORG, flt, sort="name", after=None, limit=9)
    ] == [contact.id]


async def test_a_stale_or_repeated_group_event_changes_nothing(service: ContactsHarness) -> None:
    await service.receive(group_created("group-1", "First"), 1)
    await service.receive(group_updated("group-1", "Third", staff=["u1"]), 3)

    await service.receive(group_updated("group-1", "Second"), 2)
    await service.receive(group_updated("group-1", "Third again"), 3)

    [entry] = await service.groups.entries(ORG)
    assert (entry.name, entry.staff) == ("Third", ("u1",))


async def test_a_smart_groups_query_is_kept_for_where_used(service: ContactsHarness) -> None:
    await service.define_field("age", "number")

    await service.receive(group_created("group-1", "Adults", query="age > 18"), 1)

    [entry] = await queries.smart_groups_using(service.uow, ORG, "age")
    assert (entry.id, entry.type, entry.query) == ("group-1", "smart", "age > 18")


async def test_members_join_and_leave_in_sequence_order(service: ContactsHarness) -> None:
    first = await service.create(phone(1))
    second = await service.create(phone(2))
    await service.receive(group_created("group-1", "One"), 1)

    await service.receive(membership_changed("group-1", added=[first.id, second.id]), 2)
    await service.receive(membership_changed("group-1", removed=[first.id]), 3)

    assert await groups_of(service, first.id) == []
    assert await groups_of(service, second.id) == ["group-1"]
    assert await service.memberships.memberships(ORG, None, 10) == [(second.id, ["group-1"])]


async def test_an_older_membership_event_is_ignored_per_contact(service: ContactsHarness) -> None:
    first = await service.create(phone(1))
    second = await service.create(phone(2))
    await service.receive(membership_changed("group-1", added=[first.id]), 5)

    await service.receive(membership_changed("group-1", removed=[first.id], added=[second.id]), 4)
    await service.receive(membership_changed("group-1", added=[first.id]), 5)

    assert await groups_of(service, first.id) == ["group-1"]
    assert await groups_of(service, second.id) == ["group-1"]


async def test_a_run_of_membership_events_is_applied_in_order(service: ContactsHarness) -> None:
    contact = await service.create(phone(1))
    changes = [
        membership_changed("group-1", added=[contact.id]),
        membership_changed("group-2", added=[contact.id]),
        membership_changed("group-1", removed=[contact.id]),
    ]

    await service.bus.handle_many(
        [received(change, ORG, sequence=n) for n, change in enumerate(changes, start=2)]
    )

    assert await groups_of(service, contact.id) == ["group-2"]


async def test_another_organisations_contacts_are_not_touched(service: ContactsHarness) -> None:
    theirs = await service.create(phone(1), org_id=OTHER_ORG)

    await service.receive(membership_changed("group-1", added=[theirs.id, "unknown"]), 2)

    assert await groups_of(service, theirs.id, OTHER_ORG) == []


async def test_a_deleted_group_leaves_every_contact_and_ignores_late_members(
    service: ContactsHarness,
) -> None:
    member = await service.create(phone(1))
    other = await service.create(phone(2))
    await service.group_with_members("group-1", member.id)
    await service.group_with_members("group-2", member.id)

    await service.receive(group_deleted("group-1"), 3)
    await service.receive(membership_changed("group-1", added=[other.id]), 4)

    assert await groups_of(service, member.id) == ["group-2"]
    assert await groups_of(service, other.id) == []
    assert await service.groups.is_deleted("group-1")
    assert [e.id for e in await service.groups.entries(ORG)] == ["group-2"]


async def test_a_group_created_late_after_its_deletion_stays_deleted(
    service: ContactsHarness,
) -> None:
    await service.receive(group_deleted("group-1"), 4)

    await service.receive(group_created("group-1", "Late"), 1)

    assert await service.groups.is_deleted("group-1")
    assert await service.groups.entries(ORG) == []


@pytest.mark.parametrize(
    "payload",
    [
        group_created("group-1", "One"),
        group_updated("group-1", "One"),
        group_deleted("group-1"),
        membership_changed("group-1", added=["contact-0001"]),
    ],
    ids=lambda p: type(p).__name__,
)
async def test_an_ordered_event_without_its_sequence_is_unprocessable(
    service: ContactsHarness, payload: EventPayload
) -> None:
    contact = await service.create(phone(1))

    with pytest.raises(UnprocessableMessage):
        await service.receive(payload, sequence=None)

    assert await service.groups.entries(ORG) == []
    assert await groups_of(service, contact.id) == []
