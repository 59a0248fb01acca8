"""Events published by the groups service on `roster.groups` (keyed by group id).

The envelope's `sequence` is the group's version: every change of the group — its settings or its
members — increases it, so a projection can ignore an event older than one it already applied.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import Field

from shared.contracts.envelope import EventPayload
from shared.contracts.topics import GROUPS

MAX_MEMBERSHIP_BATCH = 1000


def group_name_key(name: str) -> str:
    """Group names are unique per organisation ignoring case and how they are spaced, so a
    name typed in a file finds its group: the groups service and every directory of groups
    compare names by this key."""
    return " ".join(name.split()).casefold()


GroupTypeName = Literal["manual", "smart"]
MembershipReason = Literal[
    "manual",  # added or removed by id
    "query",  # added or removed by a query, once
    "smart_group",  # a smart group's query decided
    "contact_status",  # the contact was blocked, stopped or archived
    "contact_deleted",  # the contact was deleted or anonymized
    "reconcile",  # repaired by `roster reconcile groups`
    "import",  # a file import listed the contact in the group
    "flow",  # the flows service asked (`AddContactToGroups`: an opt-in keyword's group)
]


class _GroupState(EventPayload):
    topic: ClassVar[str] = GROUPS.name

    group_id: str
    name: str
    description: str | None
    type: GroupTypeName
    query: str | None = Field(description="The smart group's contactql query, normalized")
    blacklisted: bool = Field(description="Members never receive outbound messages")
    staff: list[str] = Field(description="Ids of the staff users assigned to the group")


class GroupCreated(_GroupState):
    event_type: ClassVar[str] = "GroupCreated"

    created_at: datetime


class GroupUpdated(_GroupState):
    """The whole group after the change, and which attributes changed."""

    event_type: ClassVar[str] = "GroupUpdated"

    changed: list[str]
    updated_at: datetime


class GroupDeleted(EventPayload):
    """The group and all its memberships are gone; its contacts stay."""

    event_type: ClassVar[str] = "GroupDeleted"
    topic: ClassVar[str] = GROUPS.name

    group_id: str
    deleted_at: datetime


class GroupMembershipChanged(EventPayload):
    """Contacts added to or removed from one group; bulk changes are split into bounded batches,
    each with its own sequence."""

    event_type: ClassVar[str] = "GroupMembershipChanged"
    topic: ClassVar[str] = GROUPS.name

    group_id: str
    added: list[str] = Field(default_factory=list, max_length=MAX_MEMBERSHIP_BATCH)
    removed: list[str] = Field(default_factory=list, max_length=MAX_MEMBERSHIP_BATCH)
    reason: MembershipReason
    actor: str
    changed_at: datetime
