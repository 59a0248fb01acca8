"""Transactional outbox on the aggregate's own document.

FerretDB offers single-document atomicity only, so an aggregate's unpublished events are stored
in an `outbox` array inside the aggregate's document, written by the same update that changes
its state. The relay publishes them and pulls them out once Kafka acknowledged them: a crash
anywhere means the events are published later (at least once), never lost and never published
for a change that was not stored. A document flagged `outbox_purge` is deleted once its last
event is out (tombstones).

There is deliberately no "pending" flag: a flag cleared after the pull needs a guarded update
(`_id` plus a condition), and FerretDB answers any filter beyond `_id` alone by scanning the whole
collection. The array is the only truth; `outbox.id > ""` finds documents with events, through
the `OUTBOX_INDEX` on MongoDB, and every relay write filters on `_id` alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ASCENDING, DeleteOne, IndexModel, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError, PyMongoError

from shared.contracts.envelope import EventPayload, wrap
from shared.faults import crash_point
from shared.kafka.producer import EventProducer, OutgoingRecord
from shared.logging import get_logger
from shared.metrics import OUTBOX_BACKLOG
from shared.mongo.client import Document, Store, bulk_write_in_chunks

log = get_logger(__name__)

OUTBOX = "outbox"
PURGE = "outbox_purge"
# Matches documents whose outbox holds at least one event (event ids are non-empty strings).
HAS_EVENTS: Document = {f"{OUTBOX}.id": {"$gt": ""}}
FERRETDB_MAX_IDLE_S = 30.0
OUTBOX_INDEX = IndexModel([(f"{OUTBOX}.id", ASCENDING)], name="outbox_events")


def outbox_entry(
    payload: EventPayload,
    *,
    source: str,
    subject: str,
    org_id: str,
    sequence: int | None,
) -> Document:
    """The exact bytes to publish, stored so the relay never re-serialises or re-derives them."""
    envelope = wrap(payload, source=source, subject=subject, org_id=org_id, sequence=sequence)
    return {
        "id": envelope.id,
        "topic": payload.topic,
        "key": payload.partition_key(subject),
        "type": envelope.type,
        "value": envelope.model_dump_json(),
    }


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


class RelayLease:
    """Only one relay per service publishes at a time, so replicas don't race on the same events.

    A crashed holder's lease expires after `ttl`; another replica (or the restarted process) then
    takes over.
    """

    def __init__(self, collection: AsyncCollection[Document], name: str, ttl: timedelta) -> None:
        self._collection = collection
        self._name = name
        self._ttl = ttl
        self.holder = uuid.uuid4().hex

    async def acquire(self) -> bool:
        now = datetime.now(UTC)
        try:
            doc = await self._collection.find_one_and_update(
                {"_id": self._name, "$or": [{"holder": self.holder}, {"expires_at": {"$lt": now}}]},
                {"$set": {"holder": self.holder, "expires_at": now + self._ttl}},
                upsert=True,
            )
        except DuplicateKeyError:
            return False
        return doc is None or doc.get("holder") == self.holder or doc["expires_at"] < now

    async def release(self) -> None:
        await self._collection.delete_one({"_id": self._name, "holder": self.holder})


class OutboxWakeup:
    """Writers in this process say "events are waiting", so the relay publishes at once instead
    of at its next poll. Polling stays, for events written by other processes."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
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


class OutboxRelay:
    """Publishes every collection's outbox events, then pulls them out of the documents.

    Idle, it polls at `poll_interval_s`, backing off to `max_idle_s`: on FerretDB each poll scans
    the whole collection. A wake-up from a writer brings it back at once.
    """

    def __init__(
        self,
        *,
        store: Store,
        collections: Sequence[AsyncCollection[Document]],
        producer: EventProducer,
        lease: RelayLease,
        service: str,
        wakeup: OutboxWakeup,
        poll_interval_s: float = 0.2,
        max_idle_s: float = 5.0,
        batch_size: int = 5000,
        topic_prefix: str = "",
    ) -> None:
        self._store = store
        self._collections = list(collections)
        self._producer = producer
        self._lease = lease
        self._service = service
        self._wakeup = wakeup
        self._poll = poll_interval_s
        self._max_idle = max(max_idle_s, poll_interval_s)
        if store.ferretdb:
            # One replica per service on FerretDB (see connect_store): every write wakes this
            # relay, polling is only a safety net, and each poll scans the whole collection.
            self._max_idle = max(self._max_idle, FERRETDB_MAX_IDLE_S)
        self._batch = batch_size
        self._topic_prefix = topic_prefix
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"outbox-relay:{self._service}")

    async def stop(self) -> None:
        """Finishes the pass in progress (published events get pulled), then lets the lease go."""
        self._stopping = True
        self._wakeup.notify()
        if self._task is not None:
            await self._task
        with contextlib.suppress(PyMongoError):
            await self._lease.release()

    async def _run(self) -> None:
        idle = self._poll
        while not self._stopping:
            self._wakeup.clear()  # a write during the pass below triggers another pass
            published = 0
            try:
                if await self._lease.acquire():
                    for collection in self._collections:
                        published += await self.relay_once(collection)
            except Exception as exc:
                log.warning("outbox_relay_failed", error=repr(exc))
                await self._wakeup.wait(1.0)
                continue
            # Busy or woken: straight back to the short interval; idle: back off.
            if published or await self._wakeup.wait(idle):
                idle = self._poll
            else:
                idle = min(idle * 2, self._max_idle)

    async def relay_once(self, collection: AsyncCollection[Document]) -> int:
        """One pass: publish up to a batch of documents' events; returns how many were published."""
        # One reply with the whole batch: no server cursor stays open between awaits.
        scanned = self._store.scanner[collection.database.name][collection.name]
        docs = await scanned.find(
            HAS_EVENTS, {OUTBOX: 1, PURGE: 1}, limit=self._batch, batch_size=self._batch
        ).to_list()
        OUTBOX_BACKLOG.labels(self._service).set(len(docs))
        records = [
            OutgoingRecord(
                self._topic_prefix + e["topic"], e["key"], e["value"].encode(), e["id"], e["type"]
            )
            for doc in docs
            for e in doc[OUTBOX]
        ]
        if not records:
            return 0
        crash_point("outbox.before_publish")
        await self._producer.publish(records)
        crash_point("outbox.after_publish")
        # $pullAll of the exact entries published (FerretDB ignores $pull with a condition):
        # events appended meanwhile stay for the next pass.
        pulls = [UpdateOne({"_id": d["_id"]}, {"$pullAll": {OUTBOX: d[OUTBOX]}}) for d in docs]
        await bulk_write_in_chunks(collection, pulls, self._store.write_batch)
        purges = [
            DeleteOne({"_id": d["_id"], PURGE: True, OUTBOX: {"$size": 0}})
            for d in docs
            if d.get(PURGE)
        ]
        await bulk_write_in_chunks(collection, purges, self._store.write_batch)
        return len(records)
