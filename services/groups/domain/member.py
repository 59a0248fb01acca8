"""The groups service's view of a contact, projected from the contacts service's events.

It holds what smart-group queries test, member listings and exports show, and the status that
decides whether the contact may be in a group at all (RapidPro: blocked, stopped and archived
contacts are in no group).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from shared.contactql.values import FieldValue
from shared.contracts.contacts import (
    ContactAnonymized,
    ContactCreated,
    ContactDeleted,
    ContactStatusChanged,
    ContactUpdated,
)
from shared.contracts.envelope import EventPayload

MEMBER_STATUS = "active"
PLAIN_ATTRIBUTES = ("name", "phone", "secondary_phone", "email", "category", "language")
REFUSALS = {
    "blocked": "contact_blocked",
    "stopped": "contact_stopped",
    "archived": "contact_archived",
}


@dataclass
class MemberContact:
    id: str
    org_id: str
    phone: str | None = None
    name: str | None = None
    secondary_phone: str | None = None
    email: str | None = None
    category: str | None = None
    language: str | None = None
    status: str = MEMBER_STATUS
    fields: dict[str, FieldValue] = field(default_factory=dict)
    groups: list[str] = field(default_factory=list)
    created_at: datetime | None = None
    last_seen_at: datetime | None = None
    # The contact's version in the contacts service: older events are ignored.
    version: int = 0
    gone: bool = False  # deleted or anonymized

    @property
    def can_be_member(self) -> bool:
        return not self.gone and self.status == MEMBER_STATUS


def refusal(contact: MemberContact | None) -> str | None:
    """Why a contact cannot join a group, or None if it can."""
    if contact is None or contact.gone:
        return "unknown_contact"
    return REFUSALS.get(contact.status)


def follow(
    current: MemberContact | None, event: EventPayload, org_id: str, sequence: int
) -> MemberContact | None:
    """The contact after one of its events; None when the event cannot be applied yet (an
    update of a contact this projection never saw created)."""
    if isinstance(event, ContactCreated):
        return MemberContact(
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
            # A contact projected before keeps its groups: they follow the groups' own events.
            groups=list(current.groups) if current else list(event.groups),
            created_at=event.created_at,
            version=sequence,
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
    elif isinstance(event, ContactAnonymized | ContactDeleted):
        contact = MemberContact(
            id=contact.id,
            org_id=org_id,
            status=contact.status,
            groups=contact.groups,
            created_at=contact.created_at,
            version=sequence,
            gone=True,
        )
    return contact
