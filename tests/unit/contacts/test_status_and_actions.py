"""ChangeContactStatus, ApplyContactAction, DeleteContact and AnonymizeContact through the bus:
status and consent move together, bulk actions answer per id, restricted staff reach only the
contacts of their groups, and deleted or anonymized contacts give their phone back."""

from __future__ import annotations

import pytest

from services.contacts.domain.commands import (
    AnonymizeContact,
    ApplyContactAction,
    ChangeContactStatus,
    DeleteContact,
)
from services.contacts.domain.errors import (
    ContactAnonymizedError,
    ContactNotFound,
    DomainError,
    InvalidTransition,
    InvalidValue,
    NotArchived,
)
from services.contacts.domain.model import Contact, ContactStatus
from shared.auth import Principal, Role
from shared.contracts.contacts import (
    ContactAnonymized,
    ContactDeleted,
    ContactStatusChanged,
)
from tests.fakes.contacts import (
    ORG,
    OTHER_ORG,
    ContactsHarness,
    phone,
    principal,
)

STAFF = principal(role=Role.STAFF, user="staff-1")

Outcomes = dict[str, DomainError | Contact | None]


async def change_status(
    service: ContactsHarness,
    contact_id: str,
    status: str,
    reason: str | None = None,
    by: Principal | None = None,
) -> Contact:
    command = ChangeContactStatus(
        by=by or principal(), contact_id=contact_id, status=status, reason=reason
    )
    contact: Contact = await service.bus.handle(command)
    return contact


async def act(
    service: ContactsHarness, action: str, *ids: str, by: Principal | None = None
) -> Outcomes:
    command = ApplyContactAction(by=by or principal(), action=action, contact_ids=list(ids))
    outcomes: Outcomes = await service.bus.handle(command)
    return outcomes


async def delete(service: ContactsHarness, contact_id: str) -> None:
    await service.bus.handle(DeleteContact(by=principal(), contact_id=contact_id))


async def anonymize(service: ContactsHarness, contact_id: str) -> Contact:
    contact: Contact = await service.bus.handle(
        AnonymizeContact(by=principal(), contact_id=contact_id)
    )
    return contact


async def test_a_status_change_is_stored_with_its_history_and_announced(
    service: ContactsHarness,
) -> None:
    contact = await service.create(phone(1))

    await change_status(service, contact.id, "blocked", reason="abuse")

    stored = await service.stored(contact.id)
    assert (stored.status, stored.version) == (ContactStatus.BLOCKED, 2)
    [history] = stored.status_history
    assert (history.reason, history.actor) == ("abuse", "admin:tester")
    change = service.published(contact.id)[-1]
    assert isinstance(change, ContactStatusChanged)
    assert (change.from_status, change.to_status, change.reason) == ("active", "blocked", "abuse")


async def test_stopping_opts_out_and_reactivating_opts_back_in(service: ContactsHarness) -> None:
    contact = await service.create(phone(1), opt_in=True)

    await change_status(service, contact.id, "stopped")
    stopped = await service.stored(contact.id)
    await change_status(service, contact.id, "active")
    reactivated = await service.stored(contact.id)

    assert stopped.opt_in.status == "opted_out"
    assert reactivated.opt_in.status == "opted_in"


async def test_the_status_it_already_has_changes_nothing(service: ContactsHarness) -> None:
    contact = await service.create(phone(1))

    await change_status(service, contact.id, "active")

    assert (await service.stored(contact.id)).version == 1
    assert service.outbox.kinds(contact.id) == ["ContactCreated"]


async def test_an_unknown_status_is_refused(service: ContactsHarness) -> None:
    contact = await service.create(phone(1))

    with pytest.raises(InvalidValue) as refused:
        await change_status(service, contact.id, "sleeping")

    assert "active" in refused.value.details["allowed"]


async def test_staff_change_only_contacts_of_the_groups_assigned_to_them(
    service: ContactsHarness,
) -> None:
    theirs = await service.create(phone(1))
    other = await service.create(phone(2))
    await service.group_with_members("group-1", theirs.id, staff=[STAFF.subject])
    await service.group_with_members("group-2", other.id, staff=["someone-else"])

    await change_status(service, theirs.id, "archived", by=STAFF)
    with pytest.raises(ContactNotFound):
        await change_status(service, other.id, "archived", by=STAFF)

    assert (await service.stored(theirs.id)).status is ContactStatus.ARCHIVED
    assert (await service.stored(other.id)).status is ContactStatus.ACTIVE


async def test_an_action_answers_each_id_once(service: ContactsHarness) -> None:
    active = await service.create(phone(1))
    blocked = await service.create(phone(2))
    await change_status(service, blocked.id, "blocked")
    theirs = await service.create(phone(3), org_id=OTHER_ORG)

    outcomes = await act(service, "block", active.id, blocked.id, "missing", theirs.id, active.id)

    assert list(outcomes) == [active.id, blocked.id, "missing", theirs.id]
    assert isinstance(outcomes[active.id], Contact)
    assert isinstance(outcomes[blocked.id], Contact)
    assert isinstance(outcomes["missing"], ContactNotFound)
    assert isinstance(outcomes[theirs.id], ContactNotFound)
    assert (await service.stored(active.id)).status is ContactStatus.BLOCKED
    assert (await service.stored(blocked.id)).version == 2  # already blocked: untouched
    assert (await service.stored(theirs.id, OTHER_ORG)).status is ContactStatus.ACTIVE


@pytest.mark.parametrize(
    ("action", "start", "end"),
    [
        ("block", "active", "blocked"),
        ("unblock", "blocked", "active"),
        ("archive", "active", "archived"),
        ("restore", "archived", "active"),
        ("stop", "active", "stopped"),
    ],
)
async def test_each_status_action_moves_the_contact(
    service: ContactsHarness, action: str, start: str, end: str
) -> None:
    contact = await service.create(phone(1))
    await change_status(service, contact.id, start)

    outcomes = await act(service, action, contact.id)

    assert isinstance(outcomes[contact.id], Contact)
    assert (await service.stored(contact.id)).status == end
    change = service.published(contact.id)[-1]
    assert isinstance(change, ContactStatusChanged)
    assert (change.from_status, change.to_status) == (start, end)


@pytest.mark.parametrize(("action", "status"), [("unblock", "active"), ("restore", "blocked")])
async def test_undoing_a_status_the_contact_does_not_have_is_refused_for_that_id(
    service: ContactsHarness, action: str, status: str
) -> None:
    refused = await service.create(phone(1))
    await change_status(service, refused.id, status)
    applied = await service.create(phone(2))
    await change_status(service, applied.id, "blocked" if action == "unblock" else "archived")

    outcomes = await act(service, action, refused.id, applied.id)

    assert isinstance(outcomes[refused.id], InvalidTransition)
    assert (await service.stored(refused.id)).status == status
    assert (await service.stored(applied.id)).status is ContactStatus.ACTIVE


async def test_the_delete_action_deletes_archived_contacts_only(service: ContactsHarness) -> None:
    archived = await service.create(phone(1))
    await change_status(service, archived.id, "archived")
    active = await service.create(phone(2))

    outcomes = await act(service, "delete", archived.id, active.id)

    assert outcomes[archived.id] is None
    assert isinstance(outcomes[active.id], NotArchived)
    assert await service.contacts.get(ORG, archived.id) is None
    assert isinstance(service.published(archived.id)[-1], ContactDeleted)
    assert (await service.stored(active.id)).status is ContactStatus.ACTIVE


async def test_staff_act_only_on_contacts_of_their_groups(service: ContactsHarness) -> None:
    theirs = await service.create(phone(1))
    other = await service.create(phone(2))
    await service.group_with_members("group-1", theirs.id, staff=[STAFF.subject])

    outcomes = await act(service, "block", theirs.id, other.id, by=STAFF)

    assert isinstance(outcomes[theirs.id], Contact)
    assert isinstance(outcomes[other.id], ContactNotFound)
    assert (await service.stored(other.id)).status is ContactStatus.ACTIVE


async def test_an_active_contact_cannot_be_deleted(service: ContactsHarness) -> None:
    contact = await service.create(phone(1))

    with pytest.raises(NotArchived):
        await delete(service, contact.id)

    assert (await service.stored(contact.id)).status is ContactStatus.ACTIVE


async def test_a_deleted_contact_is_gone_and_its_phone_free(service: ContactsHarness) -> None:
    contact = await service.create(phone(1), name="Amina")
    await change_status(service, contact.id, "archived")

    await delete(service, contact.id)

    assert await service.contacts.get(ORG, contact.id) is None
    assert await service.contacts.get_many(ORG, [contact.id]) == {}
    deleted = service.published(contact.id)[-1]
    assert isinstance(deleted, ContactDeleted)
    assert deleted.actor == "admin:tester"
    again = await service.create(phone(1))
    assert again.id != contact.id
    with pytest.raises(ContactNotFound):
        await delete(service, contact.id)


async def test_anonymizing_removes_personal_data_for_good(service: ContactsHarness) -> None:
    await service.define_field("district")
    contact = await service.create(
        phone(1), name="Amina", email="a@example.org", fields={"district": "Kano"}
    )
    await change_status(service, contact.id, "blocked", reason="asked by Amina")

    await anonymize(service, contact.id)

    stored = await service.stored(contact.id)
    assert (stored.phone, stored.email, stored.fields) == (None, None, {})
    assert stored.name is not None and stored.name.startswith("anon-")
    assert stored.anonymized
    assert [c.reason for c in stored.status_history] == [None]
    assert isinstance(service.published(contact.id)[-1], ContactAnonymized)
    with pytest.raises(ContactAnonymizedError):
        await anonymize(service, contact.id)


async def test_anonymized_contacts_give_their_phones_back_and_coexist(
    service: ContactsHarness,
) -> None:
    first = await service.create(phone(1))
    second = await service.create(phone(2))

    await anonymize(service, first.id)
    await anonymize(service, second.id)

    reused = await service.create(phone(1))
    assert reused.id not in (first.id, second.id)
    assert (await service.stored(second.id)).phone is None
