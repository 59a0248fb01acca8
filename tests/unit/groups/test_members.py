"""Changing a manual group's members: by ids (answered per id at once) and by query (recorded,
then run in the background a stretch at a time, resumable)."""

from __future__ import annotations

import pytest

from services.groups.domain.commands import (
    MAX_IDS_PER_CALL,
    ChangeMembers,
    DeleteGroup,
    RunMemberChange,
    UpdateGroup,
)
from services.groups.domain.errors import GroupNotFound, InvalidGroup, SmartGroupMembership
from services.groups.domain.member_change import ChangeStatus, MemberChange
from services.groups.domain.model import Group
from services.groups.service_layer import member_changes
from services.groups.service_layer.results import MembershipOutcome
from shared.auth import Principal
from shared.contactql.errors import QueryError
from shared.contracts.groups import GroupMembershipChanged
from tests.fakes.groups import (
    ADMIN,
    ORG,
    OTHER_ADMIN,
    OTHER_ORG,
    STAFF,
    T0,
    FakeGroupsService,
    contact_deleted,
    field_defined,
    field_deleted,
    number,
)


async def stored_change(service: FakeGroupsService, change_id: str) -> MemberChange:
    change = await service.member_changes.get(ORG, change_id)
    assert change is not None
    return change


def added_batches(service: FakeGroupsService, group_id: str) -> list[list[str]]:
    return [e.added for e in service.groups.published(GroupMembershipChanged, group_id)]


async def test_adding_by_ids_answers_per_id_and_applies_what_is_valid(
    service: FakeGroupsService,
) -> None:
    await service.create_contacts("a1", "m1", "d1")
    await service.create_contacts("b1", status="blocked")
    await service.create_contacts("s1", status="stopped")
    await service.create_contacts("r1", status="archived")
    await service.receive(contact_deleted("d1"), sequence=2)
    group = await service.create_group("Farmers")
    await service.add_members(group.id, "m1")

    outcome = await service.add_members(group.id, "a1", "m1", "b1", "s1", "r1", "d1", "zz", "a1")

    assert outcome == MembershipOutcome(
        changed=["a1"],
        unchanged=["m1"],
        refused={
            "b1": "contact_blocked",
            "s1": "contact_stopped",
            "r1": "contact_archived",
            "d1": "unknown_contact",
            "zz": "unknown_contact",
        },
    )
    last = service.groups.published(GroupMembershipChanged, group.id)[-1]
    assert (last.added, last.reason, last.actor, last.changed_at) == (
        ["a1"],
        "manual",
        ADMIN.actor,
        T0,
    )
    assert await service.members(group.id) == ["a1", "m1"]
    assert (await service.group(group.id)).member_count == 2


async def test_removing_by_ids_answers_per_id(service: FakeGroupsService) -> None:
    await service.create_contacts("a1", "a2", "x1")
    group = await service.create_group("Farmers")
    await service.add_members(group.id, "a1", "a2")

    outcome = await service.remove_members(group.id, "a1", "x1", "zz")

    assert outcome == MembershipOutcome(
        changed=["a1"], unchanged=["x1"], refused={"zz": "unknown_contact"}
    )
    assert service.groups.published(GroupMembershipChanged, group.id)[-1].removed == ["a1"]
    assert await service.members(group.id) == ["a2"]
    assert (await service.group(group.id)).member_count == 1


async def test_nothing_to_change_records_nothing(service: FakeGroupsService) -> None:
    await service.create_contacts("m1")
    group = await service.create_group("Farmers")
    await service.add_members(group.id, "m1")
    written = len(service.groups.outbox)

    await service.add_members(group.id, "m1", "zz")

    assert len(service.groups.outbox) == written


async def test_a_contact_of_another_organisation_is_unknown(service: FakeGroupsService) -> None:
    await service.create_contacts("o1", org_id=OTHER_ORG)
    group = await service.create_group("Farmers")

    outcome = await service.add_members(group.id, "o1")

    assert outcome.refused == {"o1": "unknown_contact"}
    assert await service.contacts.groups_of(OTHER_ORG, "o1") == []


async def test_a_smart_group_refuses_members_by_hand(service: FakeGroupsService) -> None:
    await service.create_contacts("a1", name="Amina")
    group = await service.create_group("Aminas", query="name ~ ami")

    for add in (True, False):
        with pytest.raises(SmartGroupMembership):
            await service.bus.handle(ChangeMembers(ADMIN, group.id, add=add, contact_ids=["a1"]))
        with pytest.raises(SmartGroupMembership):
            await service.change_by_query(group.id, "name ~ ami", add=add)

    assert service.groups.published(GroupMembershipChanged) == []
    assert await service.member_changes.running() == []


async def test_at_most_10000_distinct_ids_per_call(service: FakeGroupsService) -> None:
    group = await service.create_group("Farmers")
    ids = [f"c{i:05d}" for i in range(MAX_IDS_PER_CALL)]

    with pytest.raises(InvalidGroup):
        await service.add_members(group.id, *ids, "one-too-many")
    outcome = await service.add_members(group.id, *ids, ids[0])  # repeated ids count once

    assert len(outcome.refused) == MAX_IDS_PER_CALL


@pytest.mark.parametrize("by", [STAFF, OTHER_ADMIN], ids=["unassigned staff", "other org"])
async def test_members_of_a_group_the_caller_may_not_see_are_not_changed(
    service: FakeGroupsService, by: Principal
) -> None:
    await service.create_contacts("c1")
    group = await service.create_group("Farmers")

    with pytest.raises(GroupNotFound):
        await service.add_members(group.id, "c1", by=by)
    with pytest.raises(GroupNotFound):
        await service.change_by_query(group.id, "name ~ ami", by=by)

    assert service.groups.published(GroupMembershipChanged) == []
    assert service.background.scheduled == []


async def test_staff_change_the_members_of_their_groups(service: FakeGroupsService) -> None:
    await service.create_contacts("c1")
    await service.staff_joined(STAFF.subject)
    group = await service.create_group("Farmers", staff=[STAFF.subject])

    outcome = await service.add_members(group.id, "c1", by=STAFF)

    assert outcome.changed == ["c1"]
    assert service.groups.published(GroupMembershipChanged, group.id)[-1].actor == STAFF.actor


async def test_a_change_by_query_is_recorded_and_scheduled(service: FakeGroupsService) -> None:
    group = await service.create_group("Farmers")

    change = await service.change_by_query(group.id, "name  ~  ami")

    assert await stored_change(service, change.id) == MemberChange(
        id=change.id,
        org_id=ORG,
        group_id=group.id,
        add=True,
        query="name ~ ami",
        actor=ADMIN.actor,
        created_at=T0,
    )
    assert service.background.scheduled == [RunMemberChange(ORG, change.id)]
    assert service.groups.published(GroupMembershipChanged) == []


async def test_a_change_by_query_is_refused_at_once_when_the_query_is_bad(
    service: FakeGroupsService,
) -> None:
    group = await service.create_group("Farmers")

    with pytest.raises(QueryError):
        await service.change_by_query(group.id, "age > 18")

    assert await service.member_changes.running() == []
    assert service.background.scheduled == []


async def test_running_a_change_adds_the_matching_active_contacts(
    service: FakeGroupsService,
) -> None:
    await service.create_contacts("c1", name="Amina Njeri")
    await service.create_contacts("c2", name="Aminu Bello")
    await service.create_contacts("c3", name="Amina Blocked", status="blocked")
    await service.create_contacts("c4", name="Bob")
    await service.create_contacts("c5", name="Amina Elsewhere", org_id=OTHER_ORG)
    group = await service.create_group("Farmers")
    await service.add_members(group.id, "c2")

    change = await service.change_by_query(group.id, "name ~ ami")
    await service.settle()

    done = await stored_change(service, change.id)
    assert (done.status, done.matched, done.changed, done.finished_at) == (
        ChangeStatus.COMPLETED,
        3,
        1,
        T0,
    )
    last = service.groups.published(GroupMembershipChanged, group.id)[-1]
    assert (last.added, last.reason, last.actor) == (["c1"], "query", ADMIN.actor)
    assert await service.members(group.id) == ["c1", "c2"]


async def test_running_a_change_removes_the_matching_members(service: FakeGroupsService) -> None:
    await service.create_contacts("c1", name="Amina")
    await service.create_contacts("c2", name="Bob")
    await service.create_contacts("c3", name="Aminu")
    group = await service.create_group("Farmers")
    await service.add_members(group.id, "c1", "c2")

    change = await service.change_by_query(group.id, "name ~ ami", add=False)
    await service.settle()

    done = await stored_change(service, change.id)
    assert (done.status, done.matched, done.changed) == (ChangeStatus.COMPLETED, 2, 1)
    assert service.groups.published(GroupMembershipChanged, group.id)[-1].removed == ["c1"]
    assert await service.members(group.id) == ["c2"]


@pytest.fixture
def stretches_of_two(service: FakeGroupsService, monkeypatch: pytest.MonkeyPatch) -> None:
    """Stretches (and pages) of two contacts, instead of 10,000, to see them apart."""
    monkeypatch.setattr(member_changes, "QUERY_CHUNK", 2)
    service.contacts.page_size = 2


@pytest.mark.usefixtures("stretches_of_two")
async def test_a_change_is_recorded_a_stretch_at_a_time(service: FakeGroupsService) -> None:
    await service.create_contacts("c1", "c2", "c3", "c4", "c5")
    group = await service.create_group("Farmers")

    change = await service.change_by_query(group.id, 'name = ""')
    await service.settle()

    assert added_batches(service, group.id) == [["c1", "c2"], ["c3", "c4"], ["c5"]]
    done = await stored_change(service, change.id)
    assert (done.status, done.matched, done.changed) == (ChangeStatus.COMPLETED, 5, 5)
    assert await service.members(group.id) == ["c1", "c2", "c3", "c4", "c5"]


@pytest.mark.usefixtures("stretches_of_two")
async def test_an_interrupted_change_resumes_after_its_last_stretch(
    service: FakeGroupsService,
) -> None:
    await service.create_contacts("c1", "c2", "c3", "c4", "c5")
    group = await service.create_group("Farmers")
    change = await service.change_by_query(group.id, 'name = ""')
    service.contacts.fail_pages_after = 2

    with pytest.raises(ConnectionError):
        await service.bus.handle(RunMemberChange(ORG, change.id))
    halfway = await stored_change(service, change.id)
    service.contacts.fail_pages_after = None
    assert (halfway.status, halfway.after, halfway.matched) == (ChangeStatus.RUNNING, "c4", 4)
    assert [c.id for c in await service.member_changes.running()] == [change.id]

    assert await service.bus.handle(RunMemberChange(ORG, change.id)) is True

    assert added_batches(service, group.id) == [["c1", "c2"], ["c3", "c4"], ["c5"]]
    done = await stored_change(service, change.id)
    assert (done.status, done.matched, done.changed) == (ChangeStatus.COMPLETED, 5, 5)


async def test_a_change_fails_with_the_reason_when_its_query_no_longer_reads(
    service: FakeGroupsService,
) -> None:
    await service.receive(field_defined("age", "number"))
    await service.create_contacts("c1", fields={"age": number(40)})
    group = await service.create_group("Farmers")
    change = await service.change_by_query(group.id, "age > 18")
    await service.receive(field_deleted("age"), sequence=2)

    await service.settle()

    failed = await stored_change(service, change.id)
    assert (failed.status, failed.finished_at) == (ChangeStatus.FAILED, T0)
    assert failed.error is not None and failed.error["code"] == "unknown_property"
    assert service.groups.published(GroupMembershipChanged) == []


async def test_a_change_fails_when_its_group_was_deleted_meanwhile(
    service: FakeGroupsService,
) -> None:
    await service.create_contacts("c1", name="Amina")
    group = await service.create_group("Farmers")
    change = await service.change_by_query(group.id, "name ~ ami")
    await service.bus.handle(DeleteGroup(ADMIN, group.id))

    await service.settle()

    failed = await stored_change(service, change.id)
    assert failed.status is ChangeStatus.FAILED
    assert failed.error == member_changes.GROUP_GONE
    assert service.groups.published(GroupMembershipChanged) == []
    assert await service.contacts.groups_of(ORG, "c1") == []


async def test_a_finished_or_unknown_change_is_not_run_again(service: FakeGroupsService) -> None:
    await service.create_contacts("c1", name="Amina")
    group = await service.create_group("Farmers")
    change = await service.change_by_query(group.id, "name ~ ami")
    await service.settle()
    await service.remove_members(group.id, "c1")
    written = len(service.groups.outbox)

    assert await service.bus.handle(RunMemberChange(ORG, change.id)) is True
    assert await service.bus.handle(RunMemberChange(OTHER_ORG, change.id)) is True
    assert await service.bus.handle(RunMemberChange(ORG, "no-such-change")) is True

    assert len(service.groups.outbox) == written
    assert await service.members(group.id) == []


async def test_a_change_retries_when_a_concurrent_save_won(
    service: FakeGroupsService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Members are recorded on the group as it is after the other change, not lost."""
    await service.create_contacts("c1")
    group = await service.create_group("Farmers")
    save = service.groups.save

    async def renamed_just_before(changed: Group, expected_version: int) -> None:
        monkeypatch.setattr(service.groups, "save", save)
        await service.bus.handle(UpdateGroup(ADMIN, group.id, {"name": "Growers"}))
        await save(changed, expected_version)

    monkeypatch.setattr(service.groups, "save", renamed_just_before)

    outcome = await service.add_members(group.id, "c1")

    assert outcome.changed == ["c1"]
    stored = await service.group(group.id)
    assert (stored.name, stored.version, stored.member_count) == ("Growers", 3, 1)
    assert service.groups.sequences(group.id) == [1, 2, 3]
