"""Status and consent rules of the Contact aggregate (RapidPro semantics)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.contacts.domain.errors import (
    ContactAnonymizedError,
    InvalidTransition,
    NotArchived,
    VersionConflict,
)
from services.contacts.domain.fields import coerce_value
from services.contacts.domain.model import Contact, ContactStatus, status_for_action
from shared.contactql.values import FieldType
from shared.contracts.contacts import (
    ContactAnonymized,
    ContactCreated,
    ContactDeleted,
    ContactStatusChanged,
    ContactUpdated,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def new_contact(**attrs: object) -> Contact:
    return Contact.create(
        id="c1", org_id="o1", phone="+254712345678", now=T0, attributes=dict(attrs)
    )


def test_creation_records_one_event_with_the_state() -> None:
    contact = new_contact(name="Amina", language="swa")
    [event] = contact.events
    assert isinstance(event, ContactCreated)
    assert (event.name, event.phone, event.language, event.status) == (
        "Amina",
        "+254712345678",
        "swa",
        "active",
    )
    assert contact.version == 1


def test_update_reports_only_changed_fields() -> None:
    contact = new_contact(name="Amina", email="a@x.org")
    contact.events.clear()
    changed = contact.update({"name": "Amina", "email": "b@x.org"}, T0, actor="user:test")
    assert changed == ["email"]
    [event] = contact.events
    assert isinstance(event, ContactUpdated)
    assert event.model_dump(exclude_unset=True).keys() == {
        "contact_id",
        "email",
        "updated_at",
        "actor",
    }
    assert contact.version == 2


def test_an_update_that_changes_nothing_records_nothing() -> None:
    contact = new_contact(name="Amina")
    contact.events.clear()
    assert contact.update({"name": "Amina"}, T0, actor="user:test") == []
    assert contact.events == [] and contact.version == 1


def test_stale_version_is_refused() -> None:
    with pytest.raises(VersionConflict):
        new_contact().check_version(7)


def test_stopping_records_the_opt_out_and_reactivating_opts_back_in() -> None:
    contact = new_contact()
    contact.change_status(ContactStatus.STOPPED, reason="STOP", actor="flow", now=T0, method="sms")
    assert contact.opt_in.status == "opted_out"
    assert (contact.opt_in.opted_out_at, contact.opt_in.opt_out_method) == (T0, "sms")
    later = T0 + timedelta(days=1)
    contact.change_status(ContactStatus.ACTIVE, reason="inbound", actor="flow", now=later)
    assert contact.opt_in.status == "opted_in" and contact.opt_in.opted_in_at == later
    history = [(c.from_status, c.to_status, c.reason) for c in contact.status_history]
    assert history == [
        (ContactStatus.ACTIVE, ContactStatus.STOPPED, "STOP"),
        (ContactStatus.STOPPED, ContactStatus.ACTIVE, "inbound"),
    ]
    events = [e for e in contact.events if isinstance(e, ContactStatusChanged)]
    assert [(e.from_status, e.to_status) for e in events] == [
        ("active", "stopped"),
        ("stopped", "active"),
    ]


def test_same_status_is_not_a_change() -> None:
    contact = new_contact()
    contact.events.clear()
    assert not contact.change_status(ContactStatus.ACTIVE, reason=None, actor="a", now=T0)
    assert contact.events == []


def test_only_archived_contacts_can_be_deleted() -> None:
    contact = new_contact(name="Amina")
    with pytest.raises(NotArchived):
        contact.delete(actor="admin:a", now=T0)
    contact.change_status(ContactStatus.ARCHIVED, reason=None, actor="admin:a", now=T0)
    contact.delete(actor="admin:a", now=T0)
    assert contact.deleted and contact.phone is None and contact.name is None
    assert isinstance(contact.events[-1], ContactDeleted)


def test_anonymize_removes_personal_data_and_is_irreversible() -> None:
    age = coerce_value("age", 30, FieldType.NUMBER, "UTC")
    contact = new_contact(name="Amina", email="a@x.org", fields={"age": age})
    contact.anonymize(actor="admin:a", now=T0)
    assert contact.name is not None and contact.name.startswith("anon-")
    assert (contact.phone, contact.email, contact.fields) == (None, None, {})
    event = contact.events[-1]
    assert isinstance(event, ContactAnonymized)
    assert set(event.model_dump()) == {"contact_id", "actor", "anonymized_at"}
    with pytest.raises(ContactAnonymizedError):
        contact.update({"name": "Back"}, T0, actor="user:test")
    with pytest.raises(ContactAnonymizedError):
        contact.anonymize(actor="admin:a", now=T0)


@pytest.mark.parametrize(
    ("action", "current", "expected"),
    [
        ("block", ContactStatus.ACTIVE, ContactStatus.BLOCKED),
        ("archive", ContactStatus.BLOCKED, ContactStatus.ARCHIVED),
        ("stop", ContactStatus.ACTIVE, ContactStatus.STOPPED),
        ("unblock", ContactStatus.BLOCKED, ContactStatus.ACTIVE),
        ("restore", ContactStatus.ARCHIVED, ContactStatus.ACTIVE),
    ],
)
def test_actions_map_to_statuses(
    action: str, current: ContactStatus, expected: ContactStatus
) -> None:
    assert status_for_action(action, current) is expected


@pytest.mark.parametrize(
    ("action", "current"),
    [("unblock", ContactStatus.ACTIVE), ("restore", ContactStatus.STOPPED)],
)
def test_undo_actions_only_apply_to_what_they_undo(action: str, current: ContactStatus) -> None:
    with pytest.raises(InvalidTransition):
        status_for_action(action, current)


def test_only_active_contacts_are_messageable() -> None:
    assert [s for s in ContactStatus if s.messageable] == [ContactStatus.ACTIVE]
