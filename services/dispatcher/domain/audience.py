"""Who a broadcast reaches: from the dispatcher's own copies of contacts and groups (projected
from their services' events: `shared.contracts.audience_copy`), the audience a sender names,
and why each contact named would not receive the message.

Every contact the audience names is counted exactly once: as a recipient, or under the first
reason in `EXCLUSIONS` that applies to it. So a preview's `audience` always equals
`will_receive` plus the sum of its exclusions, and the broadcast's outcomes can be matched to
the preview contact by contact.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from shared.contracts.audience_copy import AudienceContact
from shared.contracts.contact_copy import ACTIVE

if TYPE_CHECKING:  # messages say things about contacts: they import this module
    from services.dispatcher.domain.messages import Message

# In the order they are tested: a contact both blocked and in a blacklisted group is counted
# as blocked.
STATUS_EXCLUSIONS = ("blocked", "stopped", "archived")
EXCLUSIONS = (
    *STATUS_EXCLUSIONS,
    "blacklisted",  # in a group whose members never receive outbound messages
    "excluded_group",  # in one of the broadcast's `exclude_groups`
    "not_opted_in",  # the channel requires opt-in and the contact has not given it
    "no_phone",
    "duplicate",  # its phone is an earlier recipient's
    "missing_variable",  # a template parameter has no value for it, and no fallback
    "no_template_language",  # the template has no variant in its language or the org's
    "outside_window",  # free text on WhatsApp more than 24 hours after its last message
)
MAX_AUDIENCE_GROUPS = 100
MAX_AUDIENCE_CONTACT_IDS = 10_000


@dataclass(frozen=True)
class Audience:
    """Whom a broadcast names: members of `groups`, `contact_ids`, and the contacts matching
    a contactql `query`, minus the members of `exclude_groups` (counted under
    `excluded_group`)."""

    groups: tuple[str, ...] = ()
    contact_ids: tuple[str, ...] = ()
    exclude_groups: tuple[str, ...] = ()
    query: str | None = None

    @property
    def empty(self) -> bool:
        return not self.groups and not self.contact_ids and not self.query


@dataclass
class Screen:
    """Decides, contact by contact, whether a broadcast sends to it and, if not, why. Holds
    the phones already taken, so it is used once per broadcast, in the audience's order."""

    requires_opt_in: bool
    blacklisted_groups: frozenset[str]
    excluded_groups: frozenset[str]
    # What the broadcast says (None: a preview of the audience alone), and in which language
    # when the contact's is not the template's.
    message: Message | None = None
    default_language: str | None = None
    # Free text on WhatsApp: only to contacts whose last message came after this.
    window_opened_after: datetime | None = None
    phones_taken: set[str] = field(default_factory=set)

    def exclusion(self, contact: AudienceContact) -> str | None:
        if contact.status != ACTIVE:
            return contact.status if contact.status in STATUS_EXCLUSIONS else "archived"
        if not self.blacklisted_groups.isdisjoint(contact.groups):
            return "blacklisted"
        if not self.excluded_groups.isdisjoint(contact.groups):
            return "excluded_group"
        if self.requires_opt_in and (contact.opt_in is None or contact.opt_in.status != "opted_in"):
            return "not_opted_in"
        if not contact.phone:
            return "no_phone"
        if contact.phone in self.phones_taken:
            return "duplicate"
        if self.message is not None and self.message.personal:
            said = self.message.said_to(contact, self.default_language)
            if isinstance(said, str):
                return said  # missing_variable, no_template_language
        if self.window_opened_after is not None and (
            contact.last_seen_at is None or contact.last_seen_at <= self.window_opened_after
        ):
            return "outside_window"
        self.phones_taken.add(contact.phone)
        return None


def late_exclusion(contact: AudienceContact | None, blacklisted: frozenset[str]) -> str | None:
    """Why a recipient resolved as `queued` is skipped when its turn comes: blocked, stopped or
    archived since, deleted since, or now in a blacklisted group."""
    if contact is None or contact.gone:
        return "contact_deleted"
    if contact.status != ACTIVE:
        return contact.status if contact.status in STATUS_EXCLUSIONS else "archived"
    if not blacklisted.isdisjoint(contact.groups):
        return "blacklisted"
    return None
