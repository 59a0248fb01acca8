"""The group's own events applied to its members, in order (`GroupMembershipChanged`,
`GroupDeleted`): once per sequence, refusing whoever may no longer join, with `member_count`."""

from __future__ import annotations

from services.groups.domain.commands import ChangeMembers, DeleteGroup
from services.groups.domain.model import Group
from shared.contracts.groups import GroupDeleted, GroupMembershipChanged
from tests.fakes.groups import (
    ADMIN,
    ORG,
    OTHER_ORG,
    T0,
    FakeGroupsService,
    contact_updated,
    membership_changed,
    status_changed,
)


async def farmers_with(service: FakeGroupsService, *ids: str) -> Group:
    """Active contacts with these ids and a manual group; none a member yet."""
    await service.create_contacts(*ids)
    return await service.create_group("Farmers")


async def record_only(service: FakeGroupsService, group_id: str, *ids: str) -> int:
    """Adds these members without applying the change yet; returns its sequence."""
    await service.bus.handle(ChangeMembers(ADMIN, group_id, add=True, contact_ids=[*ids]))
    return service.groups.sequences(group_id)[-1]


async def test_a_change_is_applied_once_per_sequence(service: FakeGroupsService) -> None:
    group = await farmers_with(service, "c1", "c2")
    sequence = await record_only(service, group.id, "c1", "c2")
    await service.relay()
    assert (await service.group(group.id)).member_count == 2
    assert await service.groups.applied_seq(group.id) == sequence

    redelivered = membership_changed(group.id, added=["c1", "c2"])
    await service.receive(redelivered, sequence)
    await service.receive(membership_changed(group.id, removed=["c1"]), sequence + 1)
    await service.receive(redelivered, sequence)  # older than what was applied

    assert await service.members(group.id) == ["c2"]
    assert (await service.group(group.id)).member_count == 1
    assert await service.groups.applied_seq(group.id) == sequence + 1


async def test_member_count_moves_by_who_actually_joined_and_left(
    service: FakeGroupsService,
) -> None:
    group = await farmers_with(service, "c1", "c2", "c3")
    await service.add_members(group.id, "c1")

    await service.receive(membership_changed(group.id, added=["c1", "c2", "c3"]), 10)
    await service.receive(membership_changed(group.id, removed=["c3", "c4"]), 11)

    assert await service.members(group.id) == ["c1", "c2"]
    assert (await service.group(group.id)).member_count == 2


async def test_contacts_that_may_not_join_are_refused_and_announced_as_removed(
    service: FakeGroupsService,
) -> None:
    """Blocked after the change was recorded, or never seen, or of another organisation: the
    contacts service applied the addition, so this service announces a removal."""
    group = await farmers_with(service, "c1", "c2")
    await service.create_contacts("o1", org_id=OTHER_ORG)
    await record_only(service, group.id, "c1", "c2")
    await service.receive(status_changed("c2", "blocked"), sequence=2)
    await service.relay()
    later = service.groups.sequences(group.id)[-1] + 1

    await service.receive(membership_changed(group.id, added=["ghost", "o1"]), later)
    await service.relay()

    removals = [e for e in service.groups.published(GroupMembershipChanged) if e.removed]
    assert [(e.removed, e.reason) for e in removals] == [
        (["c2"], "contact_status"),
        (["ghost", "o1"], "contact_status"),
    ]
    assert await service.members(group.id) == ["c1"]
    assert (await service.group(group.id)).member_count == 1
    assert await service.contacts.groups_of(OTHER_ORG, "o1") == []


async def test_an_interrupted_apply_takes_the_count_again(service: FakeGroupsService) -> None:
    """The first attempt got the members in and died before counting them: a delta would
    count nobody, so the group is counted again."""
    group = await farmers_with(service, "c1", "c2")
    sequence = await record_only(service, group.id, "c1", "c2")
    await service.groups.begin_apply(group.id, sequence)
    await service.contacts.add_to_group(ORG, group.id, ["c1", "c2"])

    await service.relay()

    assert (await service.group(group.id)).member_count == 2
    assert await service.groups.applied_seq(group.id) == sequence


async def test_a_change_of_a_deleted_group_is_not_applied(service: FakeGroupsService) -> None:
    group = await farmers_with(service, "c1")
    await record_only(service, group.id, "c1")
    await service.bus.handle(DeleteGroup(ADMIN, group.id))

    await service.relay()  # the change, then GroupDeleted: the group was gone already

    assert await service.contacts.groups_of(ORG, "c1") == []
    assert await service.groups.applied_seq(group.id) == 0


async def test_a_deleted_group_loses_every_member(service: FakeGroupsService) -> None:
    group = await farmers_with(service, "c1", "c2")
    other = await service.create_group("Growers")
    await service.add_members(group.id, "c1", "c2")
    await service.add_members(other.id, "c1")

    await service.receive(GroupDeleted(group_id=group.id, deleted_at=T0), sequence=9)

    assert await service.members(group.id) == []
    assert await service.contacts.groups_of(ORG, "c1") == [other.id]
    assert service.contacts.stored("c2") is not None


async def test_a_change_applied_to_a_smart_group_settles_its_contacts(
    service: FakeGroupsService,
) -> None:
    """Evaluated while Amina matched, applied after she was renamed: she joins, then leaves."""
    await service.create_contacts("c1", name="Amina")
    group = await service.create_group("Aminas", query="name ~ ami")
    await service.run_background()
    await service.receive(contact_updated("c1", name="Bob"), sequence=2)

    await service.relay()

    [joined, left] = service.groups.published(GroupMembershipChanged, group.id)
    assert (joined.added, left.removed, left.reason) == (["c1"], ["c1"], "smart_group")
    assert await service.members(group.id) == []
    assert (await service.group(group.id)).member_count == 0
