"""The Broadcast aggregate: one message to an audience over one channel, and the life it goes
through: `scheduled` -> `resolving` -> `sending` -> `completed` | `cancelled` | `failed`, with
`paused` beside `sending`.

Its recipients are not in it: resolution stores them in buckets of up to 1,000
(`domain.recipients`), fixed once resolution ends, so a million-recipient broadcast is a
thousand documents. Each bucket counts its own recipients by status in the same write that
moves them, so the broadcast's counters (the buckets' sums) always add up:
`will_receive == queued + sending + sent + delivered + read + failed + skipped + unknown`.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from enum import StrEnum
from zoneinfo import ZoneInfo

from services.dispatcher.domain.audience import Audience
from services.dispatcher.domain.errors import BroadcastStateError, InvalidBroadcast
from services.dispatcher.domain.messages import Message
from shared.contracts.envelope import EventPayload
from shared.contracts.messages import BroadcastCompleted, BroadcastStarted


class BroadcastState(StrEnum):
    SCHEDULED = "scheduled"
    RESOLVING = "resolving"
    SENDING = "sending"
    PAUSED = "paused"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    FAILED = "failed"


FINAL = frozenset({BroadcastState.COMPLETED, BroadcastState.CANCELLED, BroadcastState.FAILED})


QUIET_HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class QuietHours:
    """When sending pauses, every day, in the organisation's time zone; `start` after `end`
    spans midnight (20:00-08:00)."""

    start: time
    end: time

    @classmethod
    def parse(cls, given: dict[str, str] | None) -> QuietHours | None:
        if given is None:
            return None
        start, end = given.get("start"), given.get("end")
        parsed = [QUIET_HOURS.match(v or "") for v in (start, end)]
        if not all(parsed) or start == end:
            raise InvalidBroadcast(
                'quiet hours are {"start": "HH:MM", "end": "HH:MM"}, two different times',
                field="quiet_hours",
            )
        first, last = (time(int(m.group(1)), int(m.group(2))) for m in parsed if m)
        return cls(first, last)

    def contains(self, moment: datetime, zone: str) -> bool:
        local = moment.astimezone(ZoneInfo(zone)).time()
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def as_dict(self) -> dict[str, str]:
        return {"start": self.start.strftime("%H:%M"), "end": self.end.strftime("%H:%M")}


@dataclass
class Broadcast:
    id: str
    org_id: str
    channel_id: str
    audience: Audience
    message: Message
    created_by: str
    created_at: datetime
    send_at: datetime
    state: BroadcastState = BroadcastState.SCHEDULED
    idempotency_key: str | None = None
    quiet_hours: QuietHours | None = None
    # Fixed when resolution ends.
    audience_count: int = 0
    will_receive: int = 0
    excluded: Counter[str] = field(default_factory=Counter)
    buckets: int = 0
    started_at: datetime | None = None
    finished_at: datetime | None = None
    failure: str | None = None
    version: int = 1
    # What the last changes published (`BroadcastStarted`, `BroadcastCompleted`), stored with
    # them by the repository (outbox).
    events: list[EventPayload] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def create(
        cls,
        *,
        broadcast_id: str,
        org_id: str,
        channel_id: str,
        audience: Audience,
        message: Message,
        by: str,
        now: datetime,
        send_at: datetime | None,
        idempotency_key: str | None,
        quiet_hours: dict[str, str] | None = None,
    ) -> Broadcast:
        if send_at is not None and send_at < now:
            raise InvalidBroadcast("send_at is in the past", field="send_at")
        return cls(
            id=broadcast_id,
            org_id=org_id,
            channel_id=channel_id,
            audience=audience,
            message=message,
            created_by=by,
            created_at=now,
            send_at=send_at or now,
            idempotency_key=idempotency_key,
            quiet_hours=QuietHours.parse(quiet_hours),
        )

    @property
    def finished(self) -> bool:
        return self.state in FINAL

    def start_resolving(self, now: datetime) -> None:
        self._expect(BroadcastState.SCHEDULED)
        self.state = BroadcastState.RESOLVING
        self.started_at = now
        self.version += 1

    def resolved(self, audience: int, excluded: Counter[str], buckets: int) -> None:
        """The recipients are stored: from now on they are fixed."""
        self._expect(BroadcastState.RESOLVING)
        self.audience_count = audience
        self.excluded = Counter({k: v for k, v in excluded.items() if v})
        self.will_receive = audience - sum(self.excluded.values())
        self.buckets = buckets
        self.state = BroadcastState.SENDING
        self.version += 1
        self.events.append(
            BroadcastStarted(
                broadcast_id=self.id,
                channel_id=self.channel_id,
                audience=audience,
                will_receive=self.will_receive,
                excluded=dict(self.excluded),
                started_at=self.started_at or datetime.now(UTC),
            )
        )

    def pause(self) -> None:
        self._expect(BroadcastState.SENDING)
        self.state = BroadcastState.PAUSED
        self.version += 1

    def resume(self) -> None:
        self._expect(BroadcastState.PAUSED)
        self.state = BroadcastState.SENDING
        self.version += 1

    def cancel(self, now: datetime) -> None:
        if self.finished:
            raise BroadcastStateError(f"the broadcast is {self.state.value}", state=self.state)
        self._end(BroadcastState.CANCELLED, now)

    def complete(self, now: datetime) -> None:
        self._expect(BroadcastState.SENDING)
        self._end(BroadcastState.COMPLETED, now)

    def fail(self, now: datetime, reason: str) -> None:
        self.failure = reason
        self._end(BroadcastState.FAILED, now)

    def _end(self, state: BroadcastState, now: datetime) -> None:
        self.state = state
        self.finished_at = now
        self.version += 1
        self.events.append(
            BroadcastCompleted(
                broadcast_id=self.id,
                channel_id=self.channel_id,
                state=state.value,
                failure=self.failure,
                finished_at=now,
            )
        )

    def _expect(self, *states: BroadcastState) -> None:
        if self.state not in states:
            raise BroadcastStateError(
                f"the broadcast is {self.state.value}", state=self.state.value
            )
