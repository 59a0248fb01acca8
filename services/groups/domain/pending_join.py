"""A contact another service asked to add to groups (`AddContactToGroups`) before this
service's copy of the contact caught up with the version the asker saw it at: kept until the
copy reaches that version, then carried out by the copy's own rules (a contact stopped since
is refused then, as it would be by hand)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class PendingJoin:
    id: str  # the command's envelope id: a redelivered command is kept once
    org_id: str
    contact_id: str
    group_ids: tuple[str, ...]
    contact_version: int
    actor: str
    requested_at: datetime

    def due(self, version: int) -> bool:
        return version >= self.contact_version
