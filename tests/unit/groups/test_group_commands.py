"""Creating, changing and deleting groups, and the two repairs (recount, republish), through the
bus: what is stored, what would be published, and what is scheduled in the background."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from services.groups.domain.commands import (
    DeleteGroup,
    EvaluateSmartGroup,
    RecountMembers,
    RepublishMemberships,
    UpdateGroup,
)
from services.groups.domain.errors import (
    DuplicateGroupName,
    GroupNotFound,
    InvalidGroup,
    InvalidSmartQuery,
    TooManyGroups,
    UnknownUser,
    VersionConflict,
)
from services.groups.domain.member import MemberContact
from services.groups.domain.model import MAX_NAME, GroupType, SmartStatus
from services.groups.service_layer.results import Recount
from shared.auth import Principal
from shared.contactql.errors import QueryError
from shared.contracts.accounts import UserJoinedOrganization, UserLeftOrganization, UserRoleChanged
from shared.contracts.groups import (
    GroupCreated,
    GroupDeleted,
    GroupMembershipChanged,
    GroupUpdated,
)
from tests.fakes.groups import (
    ADMIN,
    ORG,
    OTHER_ADMIN,
    STAFF,
    T0,
    FakeGroupsService,
    build_fake_groups,
    field_defined,
)


async def test_a_manual_group_is_stored_with_a_clean_name_and_announced(
    service: FakeGroupsService,
) -> None:
    await service.staff_joined("sam")
    group = await service.create_group("  Nairobi   parents ", staff=["sam", " sam "])

    stored = await service.group(group.id)
    assert (stored.name, stored.type, stored.version) == ("Nairobi parents", GroupType.MANUAL, 1)
    assert stored.staff == ["sam"]
    assert stored.smart_status is None
    [created] = service.groups.published(GroupCreated, group.id)
    assert (created.name, created.type, created.created_at) == ("Nairobi parents", "manual", T0)
    assert service.groups.sequences(group.id) == [1]
    assert service.background.scheduled == []


@pytest.mark.parametrize("name", ["", "   ", "x" * (MAX_NAME + 1)])
async def test_a_group_needs_a_name_of_at_most_64_characters(
    service: FakeGroupsService, name: str
) -> None:
    with pytest.raises(InvalidGroup):
        await service.create_group(name)

    assert await service.groups.count(ORG) == 0
    assert service.groups.outbox == []


async def test_names_are_unique_per_organisation_ignoring_case(
    service: FakeGroupsService,
) -> None:
    first = await service.create_group("Farmers")

    with pytest.raises(DuplicateGroupName):
        await service.create_group(" FARMERS ")
    elsewhere = await service.create_group("farmers", by=OTHER_ADMIN)

    assert [g.id for g in await service.groups.find(ORG)] == [first.id]
    assert elsewhere.org_id == OTHER_ADMIN.org_id


async def test_a_deleted_group_gives_its_name_back(service: FakeGroupsService) -> None:
    first = await service.create_group("Farmers")
    await service.bus.handle(DeleteGroup(ADMIN, first.id))

    second = await service.create_group("farmers")

    assert second.id != first.id
    assert [g.id for g in await service.groups.find(ORG)] == [second.id]


async def test_an_organisation_has_at_most_max_groups() -> None:
    service = build_fake_groups(max_groups=2)
    first = await service.create_group("One")
    await service.create_group("Two")

    with pytest.raises(TooManyGroups) as refused:
        await service.create_group("Three")
    assert refused.value.details == {"limit": 2}
    await service.create_group("Elsewhere", by=OTHER_ADMIN)  # counted per organisation
    await service.bus.handle(DeleteGroup(ADMIN, first.id))
    await service.create_group("Three")  # a deleted group no longer counts

    assert sorted(g.name for g in await service.groups.find(ORG)) == ["Three", "Two"]


async def test_a_smart_group_starts_evaluating_its_normalized_query(
    service: FakeGroupsService,
) -> None:
    await service.receive(field_defined("age", "number"))

    group = await service.create_group("Adults", query="age   >   18")

    stored = await service.group(group.id)
    assert (stored.type, stored.query) == (GroupType.SMART, "age > 18")
    assert stored.smart_status is SmartStatus.EVALUATING
    [created] = service.groups.published(GroupCreated, group.id)
    assert (created.type, created.query) == ("smart", "age > 18")
    assert service.background.scheduled == [EvaluateSmartGroup(ORG, group.id)]


@pytest.mark.parametrize("query", ["status = active", "id = c1", "group = Farmers"])
async def test_a_smart_query_may_not_use_id_group_or_status(
    service: FakeGroupsService, query: str
) -> None:
    await service.create_group("Farmers")

    with pytest.raises(InvalidSmartQuery):
        await service.create_group("Smart", query=query)

    assert await service.groups.count(ORG) == 1
    assert service.background.scheduled == []


async def test_a_smart_query_must_read_against_the_organisation(
    service: FakeGroupsService,
) -> None:
    """`age` is no field of this organisation (yet)."""
    with pytest.raises(QueryError) as refused:
        await service.create_group("Adults", query="age > 18")

    assert refused.value.code == "unknown_property"
    assert await service.groups.count(ORG) == 0


async def test_an_update_is_stored_and_announced_with_what_changed(
    service: FakeGroupsService,
) -> None:
    group = await service.create_group("Farmers")
    service.clock.advance(timedelta(hours=1))

    await service.bus.handle(
        UpdateGroup(ADMIN, group.id, {"name": "Growers", "blacklisted": True}, expected_version=1)
    )

    stored = await service.group(group.id)
    assert (stored.name, stored.blacklisted, stored.version) == ("Growers", True, 2)
    assert (stored.created_at, stored.updated_at) == (T0, T0 + timedelta(hours=1))
    [updated] = service.groups.published(GroupUpdated, group.id)
    assert updated.changed == ["name", "blacklisted"]
    assert service.groups.sequences(group.id) == [1, 2]


async def test_an_update_with_a_stale_version_is_refused(service: FakeGroupsService) -> None:
    group = await service.create_group("Farmers")
    await service.bus.handle(UpdateGroup(ADMIN, group.id, {"name": "Growers"}, expected_version=1))

    with pytest.raises(VersionConflict):
        await service.bus.handle(
            UpdateGroup(ADMIN, group.id, {"name": "Herders"}, expected_version=1)
        )

    assert (await service.group(group.id)).name == "Growers"
    assert len(service.groups.published(GroupUpdated)) == 1


async def test_an_update_that_changes_nothing_publishes_nothing(
    service: FakeGroupsService,
) -> None:
    group = await service.create_group("Farmers")

    await service.bus.handle(UpdateGroup(ADMIN, group.id, {"name": "  Farmers ", "staff": []}))

    assert (await service.group(group.id)).version == 1
    assert service.groups.published(GroupUpdated) == []


async def test_a_rename_to_a_taken_name_is_refused_but_a_change_of_case_is_not(
    service: FakeGroupsService,
) -> None:
    await service.create_group("Farmers")
    group = await service.create_group("Growers")

    with pytest.raises(DuplicateGroupName):
        await service.bus.handle(UpdateGroup(ADMIN, group.id, {"name": "farmers"}))
    await service.bus.handle(UpdateGroup(ADMIN, group.id, {"name": "GROWERS"}))

    assert (await service.group(group.id)).name == "GROWERS"


async def test_a_new_query_sends_a_smart_group_back_to_evaluating(
    service: FakeGroupsService,
) -> None:
    group = await service.create_group("Aminas", query="name ~ ami")
    await service.settle()
    assert (await service.group(group.id)).smart_status is SmartStatus.READY

    await service.bus.handle(UpdateGroup(ADMIN, group.id, {"query": "name ~ amina"}))

    stored = await service.group(group.id)
    assert (stored.query, stored.smart_status) == ("name ~ amina", SmartStatus.EVALUATING)
    assert service.background.scheduled == [EvaluateSmartGroup(ORG, group.id)]


async def test_a_rename_keeps_a_smart_group_as_evaluated(service: FakeGroupsService) -> None:
    group = await service.create_group("Aminas", query="name ~ ami")
    await service.settle()

    await service.bus.handle(UpdateGroup(ADMIN, group.id, {"name": "Amina and co"}))

    assert (await service.group(group.id)).smart_status is SmartStatus.READY
    assert service.background.scheduled == []


@pytest.mark.parametrize("query", ["name ~ ami", "status = active"])
async def test_only_smart_groups_have_a_query(service: FakeGroupsService, query: str) -> None:
    """Whatever the query: the group is refused before the query is read."""
    group = await service.create_group("Farmers")

    with pytest.raises(InvalidGroup):
        await service.bus.handle(UpdateGroup(ADMIN, group.id, {"query": query}))

    assert service.groups.published(GroupUpdated) == []


async def test_a_smart_group_keeps_a_query(service: FakeGroupsService) -> None:
    group = await service.create_group("Aminas", query="name ~ ami")

    with pytest.raises(InvalidGroup):
        await service.bus.handle(UpdateGroup(ADMIN, group.id, {"query": None}))

    assert (await service.group(group.id)).query == "name ~ ami"


async def test_a_smart_query_is_checked_on_update_too(service: FakeGroupsService) -> None:
    group = await service.create_group("Aminas", query="name ~ ami")

    with pytest.raises(InvalidSmartQuery):
        await service.bus.handle(UpdateGroup(ADMIN, group.id, {"query": "status = active"}))

    assert (await service.group(group.id)).query == "name ~ ami"


async def test_deleting_a_group_takes_its_members_out_and_keeps_the_contacts(
    service: FakeGroupsService,
) -> None:
    await service.create_contacts("c1", "c2")
    group = await service.create_group("Farmers")
    await service.add_members(group.id, "c1", "c2")

    await service.bus.handle(DeleteGroup(ADMIN, group.id))
    await service.relay()

    assert await service.groups.get(ORG, group.id) is None
    assert (await service.group(group.id)).deleted
    assert [e.group_id for e in service.groups.published(GroupDeleted)] == [group.id]
    assert await service.members(group.id) == []
    assert await service.contacts.groups_of(ORG, "c1") == []
    with pytest.raises(GroupNotFound):
        await service.bus.handle(DeleteGroup(ADMIN, group.id))


@pytest.mark.parametrize("by", [STAFF, OTHER_ADMIN], ids=["unassigned staff", "other org"])
async def test_a_group_the_caller_may_not_see_is_not_found(
    service: FakeGroupsService, by: Principal
) -> None:
    await service.staff_joined("someone-else")
    group = await service.create_group("Farmers", staff=["someone-else"])
    written = len(service.groups.outbox)

    for command in (
        UpdateGroup(by, group.id, {"name": "Mine"}),
        DeleteGroup(by, group.id),
        RecountMembers(by, group.id),
        RepublishMemberships(by, group.id, added=["c1"]),
    ):
        with pytest.raises(GroupNotFound):
            await service.bus.handle(command)

    assert len(service.groups.outbox) == written


async def test_staff_change_the_groups_assigned_to_them(service: FakeGroupsService) -> None:
    """Roles are the HTTP layer's; the handlers let staff see (only) their own groups."""
    await service.staff_joined(STAFF.subject)
    group = await service.create_group("Farmers", staff=[STAFF.subject])

    await service.bus.handle(UpdateGroup(STAFF, group.id, {"description": "ours"}))

    assert (await service.group(group.id)).description == "ours"


async def test_recount_takes_the_count_again_from_the_members(
    service: FakeGroupsService,
) -> None:
    await service.create_contacts("c1", "c2")
    group = await service.create_group("Farmers")
    await service.add_members(group.id, "c1", "c2")
    # A member nobody counted (the drift `roster reconcile` repairs).
    service.contacts.seed(MemberContact(id="c3", org_id=ORG, groups=[group.id]))

    recount = await service.bus.handle(RecountMembers(ADMIN, group.id))

    assert recount == Recount(group.id, before=2, after=3)
    assert (await service.group(group.id)).member_count == 3


async def test_recount_gives_up_while_members_keep_changing(
    service: FakeGroupsService, monkeypatch: pytest.MonkeyPatch
) -> None:
    group = await service.create_group("Farmers")
    sequences = itertools.count(2)

    async def count_while_a_change_lands(org_id: str, group_id: str) -> int:
        await service.groups.record_applied(group_id, next(sequences), delta=1)
        return 0

    monkeypatch.setattr(service.contacts, "count_members", count_while_a_change_lands)

    with pytest.raises(VersionConflict):
        await service.bus.handle(RecountMembers(ADMIN, group.id))

    assert (await service.group(group.id)).member_count == 10  # only the changes' deltas


async def test_republish_announces_memberships_again_as_they_stand(
    service: FakeGroupsService,
) -> None:
    await service.create_contacts("c1", "c2")
    group = await service.create_group("Farmers")
    await service.add_members(group.id, "c2")

    await service.bus.handle(RepublishMemberships(ADMIN, group.id, added=["c1"], removed=["c2"]))

    *_, added, removed = service.groups.published(GroupMembershipChanged, group.id)
    assert (added.added, added.removed, added.reason) == (["c1"], [], "reconcile")
    assert (removed.added, removed.removed, removed.reason) == ([], ["c2"], "reconcile")
    assert added.actor == ADMIN.actor
    await service.relay()
    assert await service.members(group.id) == ["c1"]
    assert (await service.group(group.id)).member_count == 1


async def test_a_republished_id_listed_twice_is_counted_once(service: FakeGroupsService) -> None:
    await service.create_contacts("c1")
    group = await service.create_group("Farmers")

    await service.bus.handle(RepublishMemberships(ADMIN, group.id, added=["c1", "c1"]))
    await service.relay()

    assert await service.members(group.id) == ["c1"]
    assert (await service.group(group.id)).member_count == 1


async def test_only_staff_of_the_organisation_are_a_groups_staff(
    service: FakeGroupsService,
) -> None:
    """As the accounts service's events say: joined as staff, still staff, in this one."""
    await service.staff_joined("sam", "kim")
    await service.staff_joined("ann", org_id="other-org")
    await service.receive(UserRoleChanged(user_id="kim", role="manager"), 2)
    with pytest.raises(UnknownUser) as refused:
        await service.create_group("Farmers", staff=["sam", "kim", "ann", "typed-by-hand"])
    assert refused.value.details["user_ids"] == ["ann", "kim", "typed-by-hand"]

    group = await service.create_group("Farmers", staff=["sam"])
    await service.receive(UserLeftOrganization(user_id="sam"), 2)
    with pytest.raises(UnknownUser):
        await service.bus.handle(UpdateGroup(ADMIN, group.id, {"staff": ["sam"]}))
    # An older event, delivered again late, changes nothing.
    await service.receive(UserJoinedOrganization(user_id="sam", role="staff", name=""), 1)
    with pytest.raises(UnknownUser):
        await service.bus.handle(UpdateGroup(ADMIN, group.id, {"staff": ["sam"]}))
