"""`AddContactToGroups` from the flows service (an opt-in keyword's group): the contact joins
once this service's copy of it has reached the version the flows service saw it active at;
before that the join waits, and the copy's own rules decide when it comes due."""

from __future__ import annotations

from datetime import UTC, datetime

from shared.contracts.group_commands import AddContactToGroups, RemoveContactFromGroups
from shared.contracts.groups import GroupMembershipChanged
from tests.fakes.groups import ORG, FakeGroupsService
from tests.support.contact_events import status_changed
from tests.support.messages import received

AT = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def join(contact_id: str, *group_ids: str, version: int) -> AddContactToGroups:
    return AddContactToGroups(contact_id=contact_id, group_ids=list(group_ids),
                              contact_version=version, actor="flows:keyword",
                              requested_at=AT)  # fmt: skip


async def flow_joins(service: FakeGroupsService) -> list[GroupMembershipChanged]:
    await service.relay()
    changes = [p.payload for p in service.groups.outbox]
    return [c for c in changes if isinstance(c, GroupMembershipChanged) and c.reason == "flow"]


async def test_a_contact_the_copy_knows_at_that_version_joins_at_once(
    service: FakeGroupsService,
) -> None:
    await service.create_contacts("c1")
    welcome = await service.create_group("Welcome")

    await service.bus.handle(received(join("c1", welcome.id, version=1), ORG))

    [changed] = await flow_joins(service)
    assert (changed.added, changed.actor) == (["c1"], "flows:keyword")
    assert await service.members(welcome.id) == ["c1"]


async def test_a_join_asked_before_the_copy_caught_up_waits_for_the_contacts_event(
    service: FakeGroupsService,
) -> None:
    """The contact was stopped (version 2 here); the contacts service made it active again
    (version 3) and the flows service asked for the join before this copy saw that."""
    await service.create_contacts("c1")
    welcome = await service.create_group("Welcome")
    await service.receive(status_changed("c1", "stopped"), sequence=2)

    await service.bus.handle(received(join("c1", welcome.id, version=3), ORG))
    assert await flow_joins(service) == []
    assert len(service.pending_joins.joins) == 1

    await service.receive(status_changed("c1", "active", from_status="stopped"), sequence=3)

    [changed] = await flow_joins(service)
    assert changed.added == ["c1"]
    assert await service.members(welcome.id) == ["c1"]
    assert service.pending_joins.joins == {}


async def test_a_contact_not_projected_yet_joins_when_it_is_created(
    service: FakeGroupsService,
) -> None:
    welcome = await service.create_group("Welcome")
    await service.bus.handle(received(join("new", welcome.id, version=1), ORG))
    assert await flow_joins(service) == []

    await service.create_contacts("new")

    [changed] = await flow_joins(service)
    assert changed.added == ["new"]
    assert await service.members(welcome.id) == ["new"]


async def test_a_contact_stopped_again_before_the_join_came_due_is_refused(
    service: FakeGroupsService,
) -> None:
    await service.create_contacts("c1")
    welcome = await service.create_group("Welcome")
    await service.bus.handle(received(join("c1", welcome.id, version=2), ORG))

    await service.receive(status_changed("c1", "stopped"), sequence=2)

    assert await flow_joins(service) == []
    assert await service.members(welcome.id) == []
    assert service.pending_joins.joins == {}


async def test_smart_unknown_and_already_joined_groups_change_nothing(
    service: FakeGroupsService,
) -> None:
    await service.create_contacts("c1")
    welcome = await service.create_group("Welcome")
    smart = await service.create_group("Adults", query="name ~ ada")
    await service.add_members(welcome.id, "c1")

    await service.bus.handle(received(join("c1", welcome.id, smart.id, "gone", version=1), ORG))

    assert await flow_joins(service) == []
    assert await service.members(welcome.id) == ["c1"]


async def test_a_redelivered_command_waits_once(service: FakeGroupsService) -> None:
    welcome = await service.create_group("Welcome")
    command = received(join("new", welcome.id, version=1), ORG)
    await service.bus.handle(command)
    await service.bus.handle(command)

    assert len(service.pending_joins.joins) == 1


async def test_a_flow_takes_a_contact_out_of_groups_named_or_all_but_smart_ones(
    service: FakeGroupsService,
) -> None:
    await service.create_contacts("c1")
    first, second = await service.create_group("First"), await service.create_group("Second")
    await service.add_members(first.id, "c1")
    await service.add_members(second.id, "c1")

    def leave(*group_ids: str, everything: bool = False) -> RemoveContactFromGroups:
        return RemoveContactFromGroups(contact_id="c1", group_ids=list(group_ids),
                                       all_groups=everything, actor="flow:f1",
                                       requested_at=AT)  # fmt: skip

    await service.bus.handle(received(leave(first.id), ORG))
    await service.relay()
    assert (await service.members(first.id), await service.members(second.id)) == ([], ["c1"])
    await service.bus.handle(received(leave(everything=True), ORG))
    await service.relay()
    assert await service.members(second.id) == []


async def test_a_removal_after_a_join_still_waiting_is_not_undone_by_it(
    service: FakeGroupsService,
) -> None:
    welcome = await service.create_group("Welcome")
    await service.bus.handle(received(join("new", welcome.id, version=1), ORG))
    removal = RemoveContactFromGroups(contact_id="new", group_ids=[welcome.id], actor="flow:f1",
                                      requested_at=AT)  # fmt: skip
    await service.bus.handle(received(removal, ORG))

    await service.create_contacts("new")

    assert await flow_joins(service) == []
    assert await service.members(welcome.id) == []
