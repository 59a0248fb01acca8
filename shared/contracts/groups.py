"""Events published by the groups service on `roster.groups` (keyed by group id)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import Field

from shared.contracts.envelope import EventPayload
from shared.contracts.topics import GROUPS

MAX_MEMBERSHIP_BATCH = 1000


class GroupMembershipChanged(EventPayload):
    """Contacts added to or removed from one group; bulk changes are split into bounded batches.

    The envelope's `sequence` is the group's membership version: it grows with every change, so a
    projection can ignore an event older than the one it already applied for that group.
    """

    event_type: ClassVar[str] = "GroupMembershipChanged"
    topic: ClassVar[str] = GROUPS.name

    group_id: str
    added: list[str] = Field(default_factory=list, max_length=MAX_MEMBERSHIP_BATCH)
    removed: list[str] = Field(default_factory=list, max_length=MAX_MEMBERSHIP_BATCH)
    reason: str
    actor: str
    changed_at: datetime
