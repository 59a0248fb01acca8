"""`ImportGroupMembers` from the importer (over Kafka): just imported contacts into the groups the
file names, found by name or created, and one reply per batch with what was refused."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from services.groups.domain.commands import DeleteGroup, UpdateGroup
from services.groups.domain.model import Group, GroupType
from shared.contracts.groups import GroupCreated, GroupMembershipChanged
from shared.contracts.imports import GroupMembersImported
from tests.fakes.groups import (
    ADMIN,
    ORG,
    OTHER_ADMIN,
    OTHER_ORG,
    FakeGroupsService,
    build_fake_groups,
    contact_created,
    import_members,
)
from tests.support.events import membership_changed
from tests.support.messages import received

Member = tuple[int, str, Sequence[str]]


async def import_batch(
    service: FakeGroupsService, *members: Member, entered: dict[str, list[str]] | None = None
) -> GroupMembersImported:
    """Hands one batch to the bus, applies what it recorded; returns the reply sent."""
    answered = len(service.replies.answers)
    command = import_members(1, *members, entered=entered)
    await service.bus.handle(received(command, ORG, sequence=1))
    await service.relay()
    [(reply, org_id)] = service.replies.answers[answered:]
    assert org_id == ORG
    return reply


def refusals(reply: GroupMembersImported) -> list[tuple[int, str, str, str]]:
    return [(r.row, r.contact_id, r.group, r.code) for r in reply.refused]


async def test_members_join_groups_found_by_name_ignoring_case_or_created(
    service: FakeGroupsService,
) -> None:
    await service.create_contacts("c1", "c2")
    farmers = await service.create_group("Farmers")

    reply = await import_batch(
        service, (2, "c1", ["farmers", "Nairobi parents"]), (3, "c2", [" FARMERS "])
    )

    created = await service.groups.by_name(ORG, "nairobi parents")
    assert created is not None and created.type is GroupType.MANUAL
    assert reply == GroupMembersImported(
        import_id="imp-1",
        batch=1,
        groups={"farmers": farmers.id, "Nairobi parents": created.id, " FARMERS ": farmers.id},
        refused=[],
    )
    assert [e.name for e in service.groups.published(GroupCreated)] == [
        "Farmers",
        "Nairobi parents",
    ]
    changes = service.groups.published(GroupMembershipChanged, farmers.id)
    assert [(e.added, e.reason, e.actor) for e in changes] == [
        (["c1", "c2"], "import", "system:importer"),  # as "farmers" and " FARMERS "
    ]
    assert await service.members(farmers.id) == ["c1", "c2"]
    assert await service.members(created.id) == ["c1"]


async def test_the_next_batch_finds_the_group_the_first_created(
    service: FakeGroupsService,
) -> None:
    first = await import_batch(service, (2, "c1", ["Nairobi parents"]))
    second = await import_batch(service, (1002, "c2", ["Nairobi parents"]))

    assert first.groups == second.groups
    assert await service.groups.count(ORG) == 1


async def test_members_not_projected_yet_enter_as_active_placeholders(
    service: FakeGroupsService,
) -> None:
    """Where the import's membership event is applied: a contact in no group is left to its
    own ContactCreated."""
    await import_batch(service, (2, "new", ["Farmers"]), (3, "no-group", []))

    placeholder = service.contacts.stored("new")
    assert placeholder is not None
    assert (placeholder.org_id, placeholder.status, placeholder.version) == (ORG, "active", 0)
    assert service.contacts.stored("no-group") is None
    [group] = await service.groups.find(ORG)
    assert placeholder.groups == [group.id]
    assert await service.members(group.id) == ["new"]


async def test_an_import_enters_no_contact_of_another_organisation(
    service: FakeGroupsService,
) -> None:
    """Only contacts never seen become placeholders: one known elsewhere is refused."""
    group = await service.create_group("Farmers")
    await service.create_contacts("o1", org_id=OTHER_ORG)
    imported = membership_changed(group.id, added=["o1", "ghost"]).model_copy(
        update={"reason": "import"}
    )
    later = service.groups.sequences(group.id)[-1] + 1

    await service.receive(imported, later)
    await service.relay()

    assert await service.members(group.id) == ["ghost"]
    assert await service.contacts.groups_of(OTHER_ORG, "o1") == []
    last = service.groups.published(GroupMembershipChanged, group.id)[-1]
    assert (last.removed, last.reason) == (["o1"], "contact_status")


async def test_a_known_contact_is_no_placeholder_and_is_refused_if_blocked_since(
    service: FakeGroupsService,
) -> None:
    await service.create_contacts("c1", name="Amina", status="blocked")

    await import_batch(service, (2, "c1", ["Farmers"]))

    contact = service.contacts.stored("c1")
    assert contact is not None and (contact.name, contact.status) == ("Amina", "blocked")
    [group] = await service.groups.find(ORG)
    assert await service.members(group.id) == []
    last = service.groups.published(GroupMembershipChanged, group.id)[-1]
    assert (last.removed, last.reason) == (["c1"], "contact_status")


async def test_a_smart_group_refuses_imported_members(service: FakeGroupsService) -> None:
    smart = await service.create_group("VIPs", query="name ~ vip")

    reply = await import_batch(service, (2, "c1", ["vips", "Farmers"]), (3, "c2", ["VIPs"]))

    assert refusals(reply) == [
        (2, "c1", "vips", "smart_group_membership"),
        (3, "c2", "VIPs", "smart_group_membership"),
    ]
    assert "vips" not in reply.groups and "Farmers" in reply.groups
    assert service.groups.published(GroupMembershipChanged, smart.id) == []
    assert await service.members(reply.groups["Farmers"]) == ["c1"]


async def test_a_group_that_cannot_be_created_refuses_its_members() -> None:
    service = build_fake_groups(max_groups=1)
    await service.create_group("Farmers")

    reply = await import_batch(
        service, (2, "c1", ["Growers", "Farmers"]), (3, "c2", ["x" * 65]), (4, "c3", ["Growers"])
    )

    assert refusals(reply) == [
        (2, "c1", "Growers", "too_many_groups"),
        (4, "c3", "Growers", "too_many_groups"),
        (3, "c2", "x" * 65, "too_many_groups"),
    ]
    assert list(reply.groups) == ["Farmers"]
    assert all(r.message for r in reply.refused)


async def test_an_invalid_group_name_refuses_its_members(service: FakeGroupsService) -> None:
    reply = await import_batch(service, (2, "c1", ["x" * 65, "  "]))

    assert [r.code for r in reply.refused] == ["invalid_group", "invalid_group"]
    assert reply.groups == {}
    assert await service.groups.count(ORG) == 0


async def test_groups_are_found_in_the_importing_organisation_only(
    service: FakeGroupsService,
) -> None:
    await service.create_group("Farmers", by=OTHER_ADMIN)

    reply = await import_batch(service, (2, "c1", ["Farmers"]))

    [group] = await service.groups.find(ORG)
    assert reply.groups == {"Farmers": group.id}


async def test_a_name_spaced_differently_finds_the_existing_group(
    service: FakeGroupsService,
) -> None:
    group = await service.create_group("Nairobi parents")

    reply = await import_batch(service, (2, "c1", ["Nairobi  parents"]))

    assert reply.refused == []
    assert reply.groups == {"Nairobi  parents": group.id}


async def test_a_group_created_meanwhile_by_another_batch_is_used(
    service: FakeGroupsService, monkeypatch: pytest.MonkeyPatch
) -> None:
    by_name = service.groups.by_name
    created: list[Group] = []

    async def missing_until_another_batch_creates_it(org_id: str, name: str) -> Group | None:
        monkeypatch.setattr(service.groups, "by_name", by_name)
        created.append(await service.create_group("Farmers"))
        return None  # read just before that

    monkeypatch.setattr(service.groups, "by_name", missing_until_another_batch_creates_it)

    reply = await import_batch(service, (2, "c1", ["farmers"]))

    assert reply.refused == []
    assert reply.groups == {"farmers": created[0].id}
    assert await service.members(created[0].id) == ["c1"]


# --- contacts the contacts service created in their groups --------------------------------------


async def test_contacts_created_in_their_group_are_recorded_and_counted_once(
    service: FakeGroupsService,
) -> None:
    farmers = await service.create_group("Farmers")
    # One announced before the batch, one after it (its placeholder came first).
    await service.receive(contact_created("c1", groups=[farmers.id]))
    first = service.contacts.stored("c1")
    assert first is not None and first.groups == [farmers.id]

    await import_batch(
        service,
        (2, "c1", ["Farmers"]),
        (3, "c2", ["farmers"]),
        entered={"c1": [farmers.id], "c2": [farmers.id]},
    )
    await service.receive(contact_created("c2", name="Late", groups=[farmers.id]))

    assert await service.members(farmers.id) == ["c1", "c2"]
    assert (await service.group(farmers.id)).member_count == 2
    [change] = service.groups.published(GroupMembershipChanged, farmers.id)
    assert (change.added, change.reason) == (["c1", "c2"], "import")
    late = service.contacts.stored("c2")
    assert late is not None and (late.name, late.version, late.groups) == ("Late", 1, [farmers.id])


async def test_a_group_entered_by_a_name_that_now_finds_another_is_kept_too(
    service: FakeGroupsService,
) -> None:
    old = await service.create_group("Parents")
    await service.bus.handle(UpdateGroup(ADMIN, old.id, {"name": "Parents 2025"}))
    new = await service.create_group("Parents")

    reply = await import_batch(service, (2, "c1", ["Parents"]), entered={"c1": [old.id]})

    assert reply.groups == {"Parents": new.id}
    assert await service.members(old.id) == ["c1"]
    assert await service.members(new.id) == ["c1"]
    stored = service.contacts.stored("c1")
    assert stored is not None and sorted(stored.groups) == sorted([old.id, new.id])


async def test_a_deleted_or_smart_group_entered_is_not_recorded(
    service: FakeGroupsService,
) -> None:
    gone = await service.create_group("Gone")
    await service.bus.handle(DeleteGroup(ADMIN, gone.id))
    smart = await service.create_group("VIPs", query="name ~ vip")

    await import_batch(service, (2, "c1", ["Farmers"]), entered={"c1": [gone.id, smart.id]})

    assert service.groups.published(GroupMembershipChanged, smart.id) == []
    stored = service.contacts.stored("c1")
    assert stored is not None and stored.groups == [(await service.groups.find(ORG))[0].id]


async def test_a_contact_created_in_a_group_deleted_meanwhile_is_projected_without_it(
    service: FakeGroupsService,
) -> None:
    kept = await service.create_group("Kept")
    gone = await service.create_group("Gone")
    await service.bus.handle(DeleteGroup(ADMIN, gone.id))
    await service.relay()

    await service.receive(contact_created("c1", groups=[gone.id, kept.id]))

    stored = service.contacts.stored("c1")
    assert stored is not None and stored.groups == [kept.id]


async def test_a_removal_applied_before_the_contact_was_seen_keeps_it_out(
    service: FakeGroupsService,
) -> None:
    farmers = await service.create_group("Farmers")
    await service.receive(membership_changed(farmers.id, removed=["c1"]), sequence=99)
    await service.relay()

    await service.receive(contact_created("c1", name="Amina", groups=[farmers.id]))

    stored = service.contacts.stored("c1")
    assert stored is not None and (stored.name, stored.gone, stored.groups) == ("Amina", False, [])
    assert await service.members(farmers.id) == []
