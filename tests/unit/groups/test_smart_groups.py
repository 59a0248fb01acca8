"""A smart group's evaluation (`EvaluateSmartGroup`, run in the background after its query was
set): members follow the query, then the group is ready; or it is invalid, with the reason."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from services.groups.domain.commands import EvaluateSmartGroup, UpdateGroup
from services.groups.domain.member import MemberContact
from services.groups.domain.model import Group, SmartStatus
from services.groups.service_layer.membership_handlers import SYSTEM_ACTOR
from shared.contracts.groups import GroupMembershipChanged
from tests.fakes.groups import (
    ADMIN,
    ORG,
    FakeGroupsService,
    contact_deleted,
    field_defined,
    field_deleted,
    number,
)


async def adults_with_ages(service: FakeGroupsService, **ages: int) -> Group:
    """Contacts with these ages, and a smart group of those over 18, not evaluated yet."""
    await service.receive(field_defined("age", "number"))
    for contact_id, age in ages.items():
        await service.create_contacts(contact_id, fields={"age": number(age)})
    return await service.create_group("Adults", query="age > 18")


async def test_evaluation_adds_the_matching_active_contacts_and_marks_the_group_ready(
    service: FakeGroupsService,
) -> None:
    group = await adults_with_ages(service, old=40, young=10, older=50)
    await service.create_contacts("blocked", status="blocked", fields={"age": number(60)})

    [(command, finished)] = await service.run_background()

    assert (command, finished) == (EvaluateSmartGroup(ORG, group.id), True)
    [joined] = service.groups.published(GroupMembershipChanged, group.id)
    assert (joined.added, joined.reason, joined.actor) == (
        ["old", "older"],
        "smart_group",
        SYSTEM_ACTOR,
    )
    stored = await service.group(group.id)
    assert (stored.smart_status, stored.smart_error) == (SmartStatus.READY, None)
    await service.relay()
    assert await service.members(group.id) == ["old", "older"]
    assert (await service.group(group.id)).member_count == 2


async def test_evaluation_removes_the_members_that_no_longer_match(
    service: FakeGroupsService,
) -> None:
    group = await adults_with_ages(service, a40=40, a30=30, a20=20)
    await service.settle()

    await service.bus.handle(UpdateGroup(ADMIN, group.id, {"query": "age > 35"}))
    await service.settle()

    *_, left = service.groups.published(GroupMembershipChanged, group.id)
    assert (left.removed, left.reason) == (["a20", "a30"], "smart_group")
    assert await service.members(group.id) == ["a40"]
    assert (await service.group(group.id)).smart_status is SmartStatus.READY


async def test_evaluation_removes_members_that_cannot_be_members(
    service: FakeGroupsService,
) -> None:
    """A member still listed while its own removal is on its way leaves all the same."""
    group = await adults_with_ages(service, old=40)
    service.contacts.seed(
        MemberContact(id="gone", org_id=ORG, gone=True, version=2, groups=[group.id])
    )

    await service.run_background()

    [joined, left] = service.groups.published(GroupMembershipChanged, group.id)
    assert (joined.added, left.removed) == (["old"], ["gone"])


async def test_an_unreadable_query_marks_the_group_invalid_with_the_error(
    service: FakeGroupsService,
) -> None:
    group = await adults_with_ages(service, old=40)
    await service.receive(field_deleted("age"), sequence=2)

    [(_, finished)] = await service.run_background()

    assert finished is True
    stored = await service.group(group.id)
    assert stored.smart_status is SmartStatus.INVALID
    assert stored.smart_error is not None
    assert stored.smart_error["code"] == "unknown_property"
    assert stored.smart_error["details"] == {"property": "age"}
    assert service.groups.published(GroupMembershipChanged) == []


async def test_evaluation_answers_false_when_the_query_changed_meanwhile(
    service: FakeGroupsService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The evaluation's status is not set for a query that is no longer the group's; the new
    query's evaluation (scheduled by the update) settles it."""
    group = await adults_with_ages(service, a40=40, a30=30)
    service.background.scheduled.clear()
    scan = service.contacts.pages

    async def edited_during_the_scan(org_id: str, **options: Any) -> AsyncIterator[Any]:
        monkeypatch.setattr(service.contacts, "pages", scan)
        await service.bus.handle(UpdateGroup(ADMIN, group.id, {"query": "age > 35"}))
        async for page in scan(org_id, **options):
            yield page

    monkeypatch.setattr(service.contacts, "pages", edited_during_the_scan)

    assert await service.bus.handle(EvaluateSmartGroup(ORG, group.id)) is False

    assert (await service.group(group.id)).smart_status is SmartStatus.EVALUATING
    await service.settle()
    assert (await service.group(group.id)).smart_status is SmartStatus.READY
    assert await service.members(group.id) == ["a40"]


async def test_a_change_read_before_the_evaluation_ended_keeps_its_result(
    service: FakeGroupsService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Setting the status does not change the version, so a save of a group read before it
    (a rename) must not put the status it read back: only a new query does."""
    group = await service.create_group("Aminas", query="name ~ ami")  # nobody to evaluate
    read = service.groups.get

    async def evaluated_right_after_the_read(
        org_id: str, group_id: str, *, deleted: bool = False
    ) -> Group | None:
        monkeypatch.setattr(service.groups, "get", read)
        found = await read(org_id, group_id, deleted=deleted)
        await service.run_background()
        return found

    monkeypatch.setattr(service.groups, "get", evaluated_right_after_the_read)

    await service.bus.handle(UpdateGroup(ADMIN, group.id, {"name": "Amina and co"}))

    stored = await service.group(group.id)
    assert (stored.name, stored.smart_status) == ("Amina and co", SmartStatus.READY)


@pytest.mark.parametrize("status", [SmartStatus.READY, SmartStatus.INVALID])
async def test_a_group_not_evaluating_is_left_as_it_is(
    service: FakeGroupsService, status: SmartStatus
) -> None:
    group = await adults_with_ages(service, old=40)
    assert group.query is not None
    await service.groups.set_smart_status(group.id, group.query, status, None)

    assert await service.bus.handle(EvaluateSmartGroup(ORG, group.id)) is True

    assert service.groups.published(GroupMembershipChanged) == []
    assert (await service.group(group.id)).smart_status is status


async def test_a_deleted_manual_or_unknown_group_is_not_evaluated(
    service: FakeGroupsService,
) -> None:
    manual = await service.create_group("Farmers")
    await service.create_contacts("c1")

    for group_id in (manual.id, "no-such-group"):
        assert await service.bus.handle(EvaluateSmartGroup(ORG, group_id)) is True

    assert service.groups.published(GroupMembershipChanged) == []


async def test_a_contact_deleted_before_evaluation_does_not_join(
    service: FakeGroupsService,
) -> None:
    group = await adults_with_ages(service, old=40, gone=50)
    await service.receive(contact_deleted("gone"), sequence=2)

    await service.settle()

    assert await service.members(group.id) == ["old"]
