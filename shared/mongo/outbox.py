"""Transactional outbox on the aggregate's own document.

FerretDB offers single-document atomicity only, so an aggregate's unpublished events are stored
in an `outbox` array inside the aggregate's document, written by the same update that changes
its state. The relay publishes them and pulls them out once Kafka acknowledged them: a crash
anywhere means the events are published later (at least once), never lost and never published
for a change that was not stored. A document flagged `outbox_purge` is deleted once its last
event is out (tombstones).

There is deliberately no "pending" flag: a flag cleared after the pull needs a guarded update
(`_id` plus a condition), and FerretDB answers any filter beyond `_id` alone by scanning the whole
collection. The array is the only truth. Writers tell the relay in memory which documents got
which events, so it normally publishes and pulls by `_id` alone; `outbox.id > ""` (through the
`OUTBOX_INDEX` on MongoDB, a full scan on FerretDB) finds whatever no writer named: left by a
crashed process, another replica, or a write that failed after perhaps being applied.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.monitoring import (
    CommandFailedEvent,
    CommandListener,
    CommandStartedEvent,
    CommandSucceededEvent,
)

from shared.contracts.envelope import EventPayload, wrap
from shared.mongo.client import Document
from shared.tracing import current_trace_context

OUTBOX = "outbox"
PURGE = "outbox_purge"
# Matches documents whose outbox holds at least one event (event ids are non-empty strings).
HAS_EVENTS: Document = {f"{OUTBOX}.id": {"$gt": ""}}
# Documents with named events held for the relay; beyond that it searches instead.
MAX_NAMED_DOCUMENTS = 100_000
OUTBOX_INDEX = IndexModel([(f"{OUTBOX}.id", ASCENDING)], name="outbox_events")


def outbox_entry(
    payload: EventPayload,
    *,
    source: str,
    subject: str,
    org_id: str,
    sequence: int | None,
) -> Document:
    """The exact bytes to publish, stored so the relay never re-serialises or re-derives them,
    with the trace context of the change (the relay publishes it as the record's headers)."""
    traced = current_trace_context()
    envelope = wrap(
        payload,
        source=source,
        subject=subject,
        org_id=org_id,
        sequence=sequence,
        extensions=traced,
    )
    entry: Document = {
        "id": envelope.id,
        "topic": payload.topic,
        "key": payload.partition_key(subject),
        "type": envelope.type,
        "value": envelope.model_dump_json(),
    }
    if traced:
        entry["trace"] = traced
    return entry


def outbox_entries(
    events: Sequence[EventPayload],
    *,
    source: str,
    subject: str,
    org_id: str,
    sequence: int | None,
) -> list[Document]:
    """The entries for all events of one change of one aggregate."""
    return [
        outbox_entry(e, source=source, subject=subject, org_id=org_id, sequence=sequence)
        for e in events
    ]


def versioned_entries(
    events: Sequence[EventPayload], *, source: str, subject: str, org_id: str, version: int
) -> list[Document]:
    """The entries of one change in which every event advanced the aggregate's version by one:
    each carries the version it produced, the last one `version`."""
    first = version - len(events) + 1
    return [
        outbox_entry(e, source=source, subject=subject, org_id=org_id, sequence=first + offset)
        for offset, e in enumerate(events)
    ]


def outbox_update(entries: Sequence[Document], state: Document) -> dict[str, Any]:
    """One atomic update: the aggregate's new state and the events that describe the change."""
    return {"$set": dict(state), "$push": {OUTBOX: {"$each": list(entries)}}}


@dataclass
class WrittenEvents:
    """Events this process stored in one document and has not published yet."""

    collection: str
    doc_id: Any
    entries: list[Document]
    purge: bool
    since: float  # when the first of them was written (epoch seconds)


class OutboxWakeup:
    """Writers in this process tell the relay which events they stored, so it publishes them at
    once and without searching the collections for them.

    Events a writer cannot name (`notify`), a write that failed after perhaps being applied, and a
    restart make the relay's next pass search every collection instead (see `OutboxRelay`).

    It also knows since when the oldest event it was told of waits (`oldest_pending`): written
    and not taken yet, taken by a pass that has not ended (`in_hand`), or to be searched for.
    """

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self._written: dict[tuple[str, Any], WrittenEvents] = {}
        self._search = True  # what an earlier process left behind
        self._unnamed_since: float | None = time.time()
        self._in_hand_since: float | None = None

    def written(
        self,
        collection: AsyncCollection[Document],
        doc_id: Any,
        entries: Sequence[Document],
        *,
        purge: bool = False,
    ) -> None:
        """`entries` were just appended to the outbox of document `doc_id`."""
        if not entries:
            return
        if len(self._written) >= MAX_NAMED_DOCUMENTS:  # the relay is stuck (Kafka away)
            self._written.clear()  # memory stays bounded: the events are found by a search
            self._search = True
        key = (collection.name, doc_id)
        known = self._written.get(key)
        if known is None:
            self._written[key] = WrittenEvents(
                collection.name, doc_id, list(entries), purge, time.time()
            )
        else:
            known.entries.extend(entries)
            known.purge = known.purge or purge
        self._event.set()

    def notify(self) -> None:
        """Events were stored that this process cannot name (or a pass failed with events in
        hand): the next pass searches for them. They wait since now, or since the events in
        hand were written."""
        self._search = True
        self._unnamed_since = _earliest(self._unnamed_since, self._in_hand_since, time.time())
        self._event.set()

    def take_written(self) -> list[WrittenEvents]:
        """The named events, in the order they were first written (per key order is kept);
        in hand until `pass_ended`."""
        written, self._written = list(self._written.values()), {}
        self._in_hand_since = _earliest(self._in_hand_since, *(w.since for w in written))
        return written

    def take_search(self) -> bool:
        search, self._search = self._search, False
        if search:  # what is to be searched for is in hand from now on
            self._in_hand_since = _earliest(self._in_hand_since, self._unnamed_since)
            self._unnamed_since = None
        return search

    def pass_ended(self) -> None:
        """The relay's pass published (or handed to another replica) what it had in hand; a
        pass that fails calls `notify` instead, keeping how long those events have waited."""
        self._in_hand_since = None

    def oldest_pending(self) -> float | None:
        """When the oldest event this process knows to be unpublished was written (epoch
        seconds), or None."""
        return _earliest(
            self._unnamed_since,
            self._in_hand_since,
            *(w.since for w in self._written.values()),
        )

    def forget(self, event_ids: set[str]) -> None:
        """Published by a search meanwhile: not to be published again."""
        for key, known in list(self._written.items()):
            known.entries = [e for e in known.entries if e["id"] not in event_ids]
            if not known.entries:
                del self._written[key]

    def wake(self) -> None:
        self._event.set()

    def clear(self) -> None:
        self._event.clear()

    async def wait(self, timeout_s: float) -> bool:
        """True if notified within the timeout."""
        try:
            await asyncio.wait_for(self._event.wait(), timeout=timeout_s)
        except TimeoutError:
            return False
        return True


def _earliest(*times: float | None) -> float | None:
    known = [t for t in times if t is not None]
    return min(known) if known else None


class FailedWriteListener(CommandListener):
    """A write command that failed may still have been applied (a timeout, a dropped
    connection): its events are then stored but unnamed, so the relay searches for them before
    it publishes anything newer of the same documents."""

    WRITES = frozenset({"insert", "update", "delete", "findAndModify"})

    def __init__(self, wakeup: OutboxWakeup) -> None:
        self._wakeup = wakeup

    def started(self, event: CommandStartedEvent) -> None:
        return None

    def succeeded(self, event: CommandSucceededEvent) -> None:
        return None

    def failed(self, event: CommandFailedEvent) -> None:
        if event.command_name in self.WRITES:
            self._wakeup.notify()
