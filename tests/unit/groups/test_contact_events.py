"""The contacts service's events into the groups service's projection of contacts, and the rules
that follow: only active contacts are members; smart groups re-check a contact as it changes."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest

from services.groups.domain.member import MemberContact
from services.groups.domain.model import Group
from shared.contracts.contacts import ContactStatusName
from shared.contracts.envelope import EventPayload
from shared.contracts.groups import GroupMembershipChanged
from tests.fakes.groups import (
    ORG,
    T0,
    FakeGroupsService,
    contact_anonymized,
    contact_created,
    contact_deleted,
    contact_updated,
    import_members,
    number,
    status_changed,
)
from tests.support.messages import received


def stored(service: FakeGroupsService, contact_id: str) -> MemberContact:
    contact = service.contacts.stored(contact_id)
    assert contact is not None, contact_id
    return contact


async def aminas(service: FakeGroupsService) -> Group:
    """A smart group of the contacts named Ami..., evaluated (empty so far)."""
    group = await service.create_group("Aminas", query="name ~ ami")
    await service.settle()
    return group


async def in_both_kinds_of_group(service: FakeGroupsService, contact_id: str) -> list[Group]:
    """A contact named Amina, member of a manual group and of a smart group."""
    await service.create_contacts(contact_id, name="Amina")
    manual = await service.create_group("Farmers")
    await service.add_members(manual.id, contact_id)
    smart = await aminas(service)
    assert await service.contacts.groups_of(ORG, contact_id) == [manual.id, smart.id]
    return [manual, smart]


def last_change(service: FakeGroupsService, group_id: str) -> GroupMembershipChanged:
    return service.groups.published(GroupMembershipChanged, group_id)[-1]


async def test_a_run_of_created_contacts_is_projected_in_one_call(
    service: FakeGroupsService, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[list[str]] = []
    insert = service.contacts.add_many

    async def recorded(contacts: Sequence[MemberContact]) -> set[str]:
        calls.append([c.id for c in contacts])
        return await insert(contacts)

    monkeypatch.setattr(service.contacts, "add_many", recorded)

    await service.bus.handle_many(
        [
            received(contact_created("c1", name="Amina", fields={"age": number(40)}), ORG, 1),
            received(contact_created("c2", status="blocked"), ORG, 1),
            received(contact_created("c3"), ORG, 1),
        ]
    )

    assert calls == [["c1", "c2", "c3"]]
    amina = stored(service, "c1")
    assert (amina.name, amina.status, amina.version, amina.created_at) == ("Amina", "active", 1, T0)
    assert amina.fields["age"].number == 40
    assert stored(service, "c2").status == "blocked"
    assert stored(service, "c3").groups == []


async def test_a_redelivered_created_changes_nothing(service: FakeGroupsService) -> None:
    """Amina joined the smart group and left it when renamed; her ContactCreated again must
    neither bring the old name back nor the membership."""
    group = await aminas(service)
    await service.create_contacts("c1", name="Amina")
    await service.receive(contact_updated("c1", name="Bob"), sequence=2)
    await service.relay()
    before = stored(service, "c1")
    written = len(service.groups.outbox)

    await service.create_contacts("c1", name="Amina")
    await service.relay()

    assert stored(service, "c1") == before
    assert before.name == "Bob"  # the newer projected version is kept
    assert len(service.groups.outbox) == written
    assert await service.members(group.id) == []


async def test_a_created_contact_fills_in_its_placeholder_keeping_its_groups(
    service: FakeGroupsService,
) -> None:
    await service.bus.handle(received(import_members(1, (2, "c1", ["Farmers"])), ORG, 1))
    await service.relay()
    placeholder = stored(service, "c1")
    assert (placeholder.version, placeholder.name, len(placeholder.groups)) == (0, None, 1)

    await service.create_contacts("c1", name="Amina")

    contact = stored(service, "c1")
    assert (contact.name, contact.version, contact.groups) == ("Amina", 1, placeholder.groups)


async def test_created_contacts_join_the_smart_groups_they_match(
    service: FakeGroupsService,
) -> None:
    group = await aminas(service)

    await service.create_contacts("c1", "c3", name="Amina")
    await service.create_contacts("c2", name="Bob")
    await service.create_contacts("c4", name="Amina", status="blocked")
    await service.relay()

    assert await service.members(group.id) == ["c1", "c3"]
    assert {e.reason for e in service.groups.published(GroupMembershipChanged)} == {"smart_group"}


async def test_an_update_is_followed_and_rechecked_against_smart_groups(
    service: FakeGroupsService,
) -> None:
    group = await aminas(service)
    await service.create_contacts("c1", name="Bob")

    await service.receive(contact_updated("c1", name="Amina", email="a@example.org"), sequence=2)
    await service.relay()
    contact = stored(service, "c1")
    assert (contact.name, contact.email, contact.version) == ("Amina", "a@example.org", 2)
    assert await service.members(group.id) == ["c1"]

    await service.receive(contact_updated("c1", name="Bob"), sequence=3)
    await service.relay()
    assert await service.members(group.id) == []
    assert last_change(service, group.id).removed == ["c1"]


async def test_field_values_are_merged_and_cleared(service: FakeGroupsService) -> None:
    await service.create_contacts("c1", fields={"age": number(40), "kids": number(2)})

    await service.receive(contact_updated("c1", fields={"age": number(41), "kids": None}), 2)

    fields = stored(service, "c1").fields
    assert (list(fields), fields["age"].number) == (["age"], 41)


async def test_an_older_update_is_ignored(service: FakeGroupsService) -> None:
    await service.create_contacts("c1", name="Amina")
    await service.receive(contact_updated("c1", name="Newest"), sequence=3)

    await service.receive(contact_updated("c1", name="Older"), sequence=2)

    assert (stored(service, "c1").name, stored(service, "c1").version) == ("Newest", 3)


async def test_an_update_of_a_contact_never_created_is_dropped(
    service: FakeGroupsService,
) -> None:
    await service.receive(contact_updated("c1", name="Amina"), sequence=2)

    assert service.contacts.stored("c1") is None


@pytest.mark.parametrize("to_status", ["blocked", "stopped", "archived"])
async def test_a_contact_that_can_no_longer_be_a_member_leaves_every_group(
    service: FakeGroupsService, to_status: ContactStatusName
) -> None:
    groups = await in_both_kinds_of_group(service, "c1")

    await service.receive(status_changed("c1", to_status), sequence=2)
    await service.relay()

    for group in groups:
        change = last_change(service, group.id)
        assert (change.removed, change.reason) == (["c1"], "contact_status")
        assert (await service.group(group.id)).member_count == 0
    assert stored(service, "c1").status == to_status
    assert await service.contacts.groups_of(ORG, "c1") == []


async def test_a_restored_contact_rejoins_smart_groups_only(service: FakeGroupsService) -> None:
    manual, smart = await in_both_kinds_of_group(service, "c1")
    await service.receive(status_changed("c1", "archived"), sequence=2)
    await service.relay()

    await service.receive(status_changed("c1", "active", "archived"), sequence=3)
    await service.relay()

    assert await service.contacts.groups_of(ORG, "c1") == [smart.id]
    assert await service.members(manual.id) == []


@pytest.mark.parametrize("event", [contact_deleted, contact_anonymized])
async def test_a_deleted_or_anonymized_contact_leaves_every_group_and_its_data(
    service: FakeGroupsService, event: Callable[[str], EventPayload]
) -> None:
    groups = await in_both_kinds_of_group(service, "c1")

    await service.receive(event("c1"), sequence=2)
    await service.relay()

    for group in groups:
        change = last_change(service, group.id)
        assert (change.removed, change.reason) == (["c1"], "contact_deleted")
    contact = stored(service, "c1")
    assert (contact.gone, contact.name, contact.phone, contact.groups) == (True, None, None, [])
    assert await service.contacts.groups_of(ORG, "c1") is None


async def test_a_redelivered_status_change_records_nothing_more(
    service: FakeGroupsService,
) -> None:
    await in_both_kinds_of_group(service, "c1")
    await service.receive(status_changed("c1", "blocked"), sequence=2)
    await service.relay()
    written = len(service.groups.outbox)

    await service.receive(status_changed("c1", "blocked"), sequence=2)

    assert len(service.groups.outbox) == written
