"""A consumer's copy of a contact, folded from the contacts service's events.

The groups service and the dispatcher each keep one (each service owns its data): what
smart-group queries and templates read, the status and consent that decide who may be in a
group or receive a message, and the groups the contact is in (those follow the groups' own
`GroupMembershipChanged`, not these events). Each subclasses `ContactCopy` with its own rules;
`follow_contact` is the one reading of the contract's events they share.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TypeVar

from shared.contactql.values import FieldValue
from shared.contracts.contacts import (
    ContactAnonymized,
    ContactCreated,
    ContactDeleted,
    ContactStatusChanged,
    ContactUpdated,
    OptInRecord,
)
from shared.contracts.envelope import EventPayload

ACTIVE = "active"
PLAIN_ATTRIBUTES = ("name", "phone", "secondary_phone", "email", "category", "language")


@dataclass
class ContactCopy:
    id: str
    org_id: str
    phone: str | None = None
    name: str | None = None
    secondary_phone: str | None = None
    email: str | None = None
    category: str | None = None
    language: str | None = None
    status: str = ACTIVE
    fields: dict[str, FieldValue] = field(default_factory=dict)
    groups: list[str] = field(default_factory=list)
    created_at: datetime | None = None
    last_seen_at: datetime | None = None
    # The contact's version in the contacts service: older events are ignored.
    version: int = 0
    gone: bool = False  # deleted or anonymized
    opt_in: OptInRecord | None = None


Copy = TypeVar("Copy", bound=ContactCopy)


def follow_contact(
    kind: type[Copy], current: Copy | None, event: EventPayload, org_id: str, sequence: int
) -> Copy | None:
    """The contact after one of its events; None when the event cannot be applied yet (an
    update of a contact this copy never saw created)."""
    if isinstance(event, ContactCreated):
        return kind(
            id=event.contact_id,
            org_id=org_id,
            phone=event.phone,
            name=event.name,
            secondary_phone=event.secondary_phone,
            email=event.email,
            category=event.category,
            language=event.language,
            status=event.status,
            fields={k: FieldValue.from_record(v) for k, v in event.fields.items()},
            # A contact copied before keeps its groups: they follow the groups' own events.
            groups=list(current.groups) if current else list(event.groups),
            created_at=event.created_at,
            version=sequence,
            opt_in=event.opt_in,
        )
    if current is None:
        return None
    contact = replace(current, version=sequence)
    if isinstance(event, ContactUpdated):
        given = event.model_fields_set
        for attribute in PLAIN_ATTRIBUTES:
            if attribute in given:
                setattr(contact, attribute, getattr(event, attribute))
        if "last_seen_at" in given:
            contact.last_seen_at = event.last_seen_at
        if event.opt_in is not None:
            contact.opt_in = event.opt_in
        if event.fields:
            values = dict(contact.fields)
            for key, record in event.fields.items():
                if record is None:
                    values.pop(key, None)
                else:
                    values[key] = FieldValue.from_record(record)
            contact.fields = values
    elif isinstance(event, ContactStatusChanged):
        contact.status = event.to_status
        contact.opt_in = event.opt_in
    elif isinstance(event, ContactAnonymized | ContactDeleted):
        contact = kind(
            id=contact.id,
            org_id=org_id,
            status=contact.status,
            groups=contact.groups,
            created_at=contact.created_at,
            version=sequence,
            gone=True,
        )
    return contact
