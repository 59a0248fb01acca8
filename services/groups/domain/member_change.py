"""A change of members by query: every contact matching a contactql query at that moment is
added to (or removed from) a manual group.

A query may select a million contacts, far more than one HTTP request should wait for, so the
change is recorded first and carried out in the background. It goes through the matching
contacts in id order and remembers the last id it handled, so a restart resumes it where it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class ChangeStatus(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


@dataclass
class MemberChange:
    id: str
    org_id: str
    group_id: str
    add: bool
    query: str
    actor: str
    status: ChangeStatus = ChangeStatus.RUNNING
    matched: int = 0  # contacts the query selected so far
    changed: int = 0  # of those, the ones that joined (or left) the group
    after: str | None = None  # the last contact id handled: a restart goes on from here
    error: dict[str, Any] | None = None
    created_at: datetime | None = None
    finished_at: datetime | None = None

    @property
    def finished(self) -> bool:
        return self.status is not ChangeStatus.RUNNING

    def progress(self, matched: int, changed: int, after: str | None) -> None:
        """Counts a handled stretch of contacts, ending with `after`."""
        self.matched += matched
        self.changed += changed
        self.after = after

    def complete(self, now: datetime) -> None:
        self.status = ChangeStatus.COMPLETED
        self.finished_at = now

    def fail(self, error: dict[str, Any], now: datetime) -> None:
        """The query can no longer run (a field it uses was deleted, say)."""
        self.status = ChangeStatus.FAILED
        self.error = error
        self.finished_at = now
