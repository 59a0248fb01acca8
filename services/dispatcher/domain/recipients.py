"""A broadcast's recipients, fixed when its audience is resolved, in buckets of up to
`BUCKET_SIZE`, each with its own counts by status (written together with its recipients, so
counts and recipients never disagree).

A recipient's status only moves forward: `queued` < `sending` < `sent` < `delivered` < `read`;
`failed` from any state before `delivered`; `skipped` is decided at resolution or just before
sending (the contact was blocked, stopped or archived since). `sending` marks a message handed
to the provider: a dispatcher that dies then leaves it `sending`, and the next one settles it
(`unknown` where the provider cannot tell a repeat, re-sent with the same idempotency key where
it can).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

BUCKET_SIZE = 1000
STATUSES = ("queued", "sending", "sent", "delivered", "read", "failed", "skipped", "unknown")
_RANK = {"queued": 0, "sending": 1, "unknown": 2, "sent": 3, "delivered": 4, "read": 5}
FINAL = frozenset({"read", "failed", "skipped"})


def moves_forward(current: str, new: str) -> bool:
    """Whether a recipient at `current` may move to `new` (late, repeated and out-of-order
    status reports never move one back)."""
    if current in FINAL or current == new:
        return False
    if new == "failed":
        return current in ("queued", "sending", "sent", "unknown")
    if new == "skipped":
        return current == "queued"
    return new in _RANK and _RANK[new] > _RANK[current]


@dataclass
class Recipient:
    contact_id: str
    phone: str | None
    status: str = "queued"
    reason: str | None = None
    updated_at: datetime | None = None
    provider_id: str | None = None
    attempts: int = 0

    def requeue(self, at: datetime, reason: str) -> None:
        """Back in the queue after the provider asked to try later (`sending` is this
        service's own step, not a status a provider ever reported)."""
        if self.status == "sending":
            self.status, self.updated_at, self.reason = "queued", at, reason

    def move(self, status: str, at: datetime, reason: str | None = None) -> bool:
        if not moves_forward(self.status, status):
            return False
        self.status, self.updated_at = status, at
        if reason is not None:
            self.reason = reason
        return True


@dataclass
class RecipientBucket:
    broadcast_id: str
    org_id: str
    n: int  # 1, 2, ...: the order buckets are sent in
    recipients: list[Recipient] = field(default_factory=list)
    version: int = 0

    @property
    def id(self) -> str:
        return bucket_id(self.broadcast_id, self.n)

    @property
    def counts(self) -> Counter[str]:
        return Counter(r.status for r in self.recipients)

    @property
    def done(self) -> bool:
        return not any(r.status in ("queued", "sending") for r in self.recipients)

    def next_queued(self, limit: int) -> list[Recipient]:
        return [r for r in self.recipients if r.status == "queued"][:limit]


def bucket_id(broadcast_id: str, n: int) -> str:
    return f"{broadcast_id}:{n:06d}"


def summed(counts: Iterable[Counter[str]]) -> Counter[str]:
    total: Counter[str] = Counter(dict.fromkeys(STATUSES, 0))
    for count in counts:
        total.update(count)
    return total
