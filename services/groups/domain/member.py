"""The groups service's view of a contact, projected from the contacts service's events.

It holds what smart-group queries test, member listings and exports show, and the status that
decides whether the contact may be in a group at all (RapidPro: blocked, stopped and archived
contacts are in no group).
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.contracts.contact_copy import ACTIVE, ContactCopy, follow_contact
from shared.contracts.envelope import EventPayload

MEMBER_STATUS = ACTIVE
REFUSALS = {
    "blocked": "contact_blocked",
    "stopped": "contact_stopped",
    "archived": "contact_archived",
}


@dataclass
class MemberContact(ContactCopy):
    """The groups service's copy: a contact may be a member only while active."""

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
    """The contact after one of its events (see `follow_contact`)."""
    return follow_contact(MemberContact, current, event, org_id, sequence)
