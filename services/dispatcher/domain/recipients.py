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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from shared.contracts.envelope import EventPayload
from shared.contracts.messages import MessageDelivered, MessageFailed, MessageRead, MessageSent

BUCKET_SIZE = 1000
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
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
    not_before: datetime | None = None  # a retry's or a deferred message's earliest time

    def requeue(self, at: datetime, reason: str, not_before: datetime | None = None) -> None:
        """Back in the queue, not to be tried again before `not_before` (the provider asked to
        try later, or the person had a message too recently). `sending` is this service's own
        step, not a status a provider ever reported, so this moves nothing back."""
        if self.status in ("sending", "queued"):
            self.status, self.updated_at, self.reason = "queued", at, reason
            self.not_before = not_before

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
    channel_id: str = ""
    # The recipients as last read or written, for the repository to write only those that
    # changed (a window of 200 is not a rewrite of all 1,000).
    stored: list[Any] = field(default_factory=list, repr=False, compare=False)
    # What the last change published (one event per status a message reached), stored with
    # it by the repository (outbox).
    events: list[EventPayload] = field(default_factory=list, repr=False, compare=False)

    def statuses(self) -> dict[str, str]:
        return {r.contact_id: r.status for r in self.recipients}

    def announce(
        self, before: dict[str, str], now: datetime, said: Mapping[str, str] | None = None
    ) -> None:
        """The events of every status reached since `before`: a message that went from
        `sending` to `delivered` at once (the log channel) was sent, then delivered. `said`:
        what each contact handed over was told, by contact id (in its `MessageSent`)."""
        for recipient in self.recipients:
            old = before.get(recipient.contact_id, recipient.status)
            text = said.get(recipient.contact_id) if said else None
            self.events.extend(message_events(
                message_id(self.broadcast_id, self.n, recipient.contact_id), recipient, old,
                now, broadcast_id=self.broadcast_id, channel_id=self.channel_id, text=text,
            ))  # fmt: skip

    @property
    def id(self) -> str:
        return bucket_id(self.broadcast_id, self.n)

    @property
    def counts(self) -> Counter[str]:
        return Counter(r.status for r in self.recipients)

    def ready_at(self) -> datetime | None:
        """When the sender may next take something from this bucket: at once if a window is
        being sent, else when its first queued recipient is due; None once nothing is left."""
        if any(r.status == "sending" for r in self.recipients):
            return EARLIEST
        due = [r.not_before or EARLIEST for r in self.recipients if r.status == "queued"]
        return min(due) if due else None

    @property
    def done(self) -> bool:
        return not any(r.status in ("queued", "sending") for r in self.recipients)

    def next_queued(self, limit: int, now: datetime) -> list[Recipient]:
        """Queued recipients whose time has come (a retry waits for its backoff)."""
        ready = [r for r in self.recipients if r.status == "queued" and _due(r, now)]
        return ready[:limit]


def message_events(
    message: str,
    recipient: Recipient,
    old: str,
    now: datetime,
    *,
    broadcast_id: str | None,
    channel_id: str,
    text: str | None = None,
) -> list[EventPayload]:
    """The events of the statuses the message `message` (a broadcast's recipient, or a single
    message) reached moving from `old` to where it is now."""
    events: list[EventPayload] = []
    for status in _passed(old, recipient.status) if old != recipient.status else ():
        common = {"message_id": message, "contact_id": recipient.contact_id,
                  "broadcast_id": broadcast_id, "channel_id": channel_id,
                  "at": recipient.updated_at or now}  # fmt: skip
        if status == "sent":
            events.append(MessageSent(provider_message_id=recipient.provider_id, text=text,
                                      **common))  # fmt: skip
        elif status == "delivered":
            events.append(MessageDelivered(**common))
        elif status == "read":
            events.append(MessageRead(**common))
        else:
            events.append(MessageFailed(reason=recipient.reason, **common))
    return events


def _due(recipient: Recipient, now: datetime) -> bool:
    return recipient.not_before is None or recipient.not_before <= now


def _passed(old: str, new: str) -> list[str]:
    """The reported statuses a message went through moving from `old` to `new`."""
    if new == "failed":
        return ["failed"]
    path = ("sent", "delivered", "read")
    if new not in path:
        return []
    start = path.index(old) + 1 if old in path else 0
    return list(path[start : path.index(new) + 1])


def message_id(broadcast_id: str, bucket: int, contact_id: str) -> str:
    """The same for every attempt at one recipient: the provider's idempotency key. It names
    the recipient's bucket, so a status report finds it by `_id`."""
    return f"{broadcast_id}.{bucket}.{contact_id}"


def parse_message_id(value: str) -> tuple[str, int, str] | None:
    broadcast_id, _, rest = value.partition(".")
    bucket, _, contact_id = rest.partition(".")
    if not broadcast_id or not (bucket.isascii() and bucket.isdigit()) or not contact_id:
        return None
    return broadcast_id, int(bucket), contact_id


def bucket_id(broadcast_id: str, n: int) -> str:
    return f"{broadcast_id}:{n:06d}"


def summed(counts: Iterable[Counter[str]]) -> Counter[str]:
    total: Counter[str] = Counter(dict.fromkeys(STATUSES, 0))
    for count in counts:
        total.update(count)
    return total


@dataclass(frozen=True)
class StatusReport:
    """What a provider said about one message: `status` sent, delivered, read or failed.
    `message_id` is ours, or, from a provider that names messages by its own ids (WhatsApp),
    `provider_ref(channel, its id)` until it is looked up. `tries`: lookups that found
    nothing yet (the report came before the send's answer was recorded)."""

    message_id: str
    status: str
    reason: str | None = None
    tries: int = 0
    channel_id: str = ""  # the channel it came in on: it may only move that channel's messages


PROVIDER_REF = "provider:"


def provider_ref(channel_id: str, provider_id: str) -> str:
    return f"{PROVIDER_REF}{channel_id}:{provider_id}"
