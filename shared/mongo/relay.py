"""The outbox relay: publishes the events stored in documents' outboxes (see `outbox`), one
relay per service at a time (`RelayLease`)."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import DeleteOne, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError, PyMongoError

from shared.faults import crash_point
from shared.kafka.producer import EventProducer, OutgoingRecord
from shared.logging import get_logger
from shared.metrics import OUTBOX_BACKLOG, OUTBOX_OLDEST_AGE
from shared.mongo.client import Document, Store, bulk_write_in_chunks
from shared.mongo.outbox import HAS_EVENTS, OUTBOX, PURGE, OutboxWakeup
from shared.mongo.outbox_values import ASIDE, aside_values, drop_values
from shared.tracing import trace_headers

log = get_logger(__name__)

FERRETDB_SEARCH_EVERY_S = 120.0


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


class OutboxRelay:
    """Publishes the outbox events of this service's collections, then pulls them out of their
    documents.

    Events written by this process are named by their writers (`OutboxWakeup.written`): they are
    published and pulled by `_id` alone, which FerretDB answers from an index. A search of every
    collection (`outbox.id > ""`, indexed on MongoDB, a full scan on FerretDB) runs when the
    process starts, when a writer could not name its events, and after `max_idle_s` without any
    (events written by another replica). On FerretDB that last interval is long: there is one
    replica per service, and a search of a million-contact collection takes most of a minute.
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
        self._collections = {c.name: c for c in collections}
        self._producer = producer
        self._lease = lease
        self._service = service
        self._wakeup = wakeup
        self._poll = poll_interval_s
        self._max_idle = max(max_idle_s, poll_interval_s)
        # On MongoDB the search is cheap and other replicas may have written: searched at least
        # this often even while busy. FerretDB runs one replica per service.
        self._search_every: float | None = self._max_idle
        if store.ferretdb:
            self._poll = self._max_idle = max(self._max_idle, FERRETDB_SEARCH_EVERY_S)
            self._search_every = None
        self._batch = batch_size
        self._topic_prefix = topic_prefix
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        OUTBOX_OLDEST_AGE.labels(self._service).set_function(self.oldest_event_age_s)
        self._task = asyncio.create_task(self._run(), name=f"outbox-relay:{self._service}")

    def oldest_event_age_s(self) -> float:
        """How long the oldest event this process stored has waited to be published (0 when
        none waits): it grows while Kafka is away, which is what to alert on."""
        since = self._wakeup.oldest_pending()
        return 0.0 if since is None else max(0.0, time.time() - since)

    @property
    def alive(self) -> bool:
        """Its loop runs (liveness): a pass that fails is retried inside it, so the loop ends
        only when asked to, or on a bug; then no event of this process is published again."""
        return self._task is None or not self._task.done() or self._stopping

    async def stop(self) -> None:
        """Publishes what this process wrote (if it holds the lease), then lets the lease go."""
        self._stopping = True
        self._wakeup.wake()
        if self._task is not None:
            await self._task
        with contextlib.suppress(PyMongoError):
            await self._lease.release()

    async def _run(self) -> None:
        idle = self._poll
        search = False
        last_search = time.monotonic()
        while not self._stopping:
            self._wakeup.clear()  # a write during the pass below triggers another pass
            if self._search_every and time.monotonic() - last_search >= self._search_every:
                search = True  # busy for long: other replicas' events are not left waiting
            try:
                published, searched = await self._pass(search=search)
            except Exception as exc:
                log.warning("outbox_relay_failed", error=repr(exc))
                self._wakeup.notify()  # what was taken may be unpublished: search next time
                await self._wakeup.wait(1.0)
                continue
            self._wakeup.pass_ended()
            if searched:
                last_search = time.monotonic()
            search = False
            if published:
                idle = self._poll
                continue
            woken = await self._wakeup.wait(idle)
            # Woken: straight back to the short interval; idle: search, and back off.
            search = not woken
            idle = self._poll if woken else min(idle * 2, self._max_idle)
        try:
            if await self._lease.acquire():
                await self._publish_written()
        except Exception as exc:  # the next start searches for what is left
            log.warning("outbox_relay_final_pass_failed", error=repr(exc))

    async def _pass(self, *, search: bool) -> tuple[int, bool]:
        """Returns how many events were published and whether the collections were searched."""
        if not await self._lease.acquire():
            # Another replica publishes: it finds this one's events by searching.
            self._wakeup.take_written()
            return 0, False
        published = 0
        search = self._wakeup.take_search() or search
        if search:
            for collection in self._collections.values():
                published += await self.relay_once(collection)
        return published + await self._publish_written(), search

    async def _publish_written(self) -> int:
        written = self._wakeup.take_written()
        OUTBOX_BACKLOG.labels(self._service).set(len(written))
        if not written:
            return 0
        values: dict[str, str] = {}
        for name, collection in self._collections.items():
            entries = [e for w in written if w.collection == name for e in w.entries]
            values |= await aside_values(self._store, collection, entries)
        records = [
            _record(self._topic_prefix, e, values) for events in written for e in events.entries
        ]
        crash_point("outbox.before_publish")
        await self._producer.publish(records)
        crash_point("outbox.after_publish")
        for name, collection in self._collections.items():
            mine = [w for w in written if w.collection == name]
            await self._pull(collection, [(w.doc_id, w.entries, w.purge) for w in mine])
        return len(records)

    async def relay_once(self, collection: AsyncCollection[Document]) -> int:
        """Searches one collection for events, publishes up to a batch of documents' events;
        returns how many were published."""
        # One reply with the whole batch: no server cursor stays open between awaits.
        scanned = self._store.for_scans(collection)
        docs = await scanned.find(
            HAS_EVENTS, {OUTBOX: 1, PURGE: 1}, limit=self._batch, batch_size=self._batch
        ).to_list()
        OUTBOX_BACKLOG.labels(self._service).set(len(docs))
        if len(docs) >= self._batch:
            self._wakeup.notify()  # more than one batch waits: search again next pass
        entries = [e for doc in docs for e in doc[OUTBOX]]
        values = await aside_values(self._store, collection, entries)
        records = [_record(self._topic_prefix, e, values) for e in entries]
        if not records:
            return 0
        crash_point("outbox.before_publish")
        await self._producer.publish(records)
        crash_point("outbox.after_publish")
        self._wakeup.forget({r.event_id for r in records})
        await self._pull(collection, [(d["_id"], d[OUTBOX], bool(d.get(PURGE))) for d in docs])
        return len(records)

    async def _pull(
        self, collection: AsyncCollection[Document], published: list[tuple[Any, list[Any], bool]]
    ) -> None:
        """$pullAll of the exact entries published (FerretDB ignores $pull with a condition):
        events appended meanwhile stay for the next pass. A document to purge that holds only
        what was published is deleted at once: pulling a reply's thousand entries one by one
        first cost FerretDB half a second per import batch."""
        remaining = published
        if await self._delete_published_whole(collection, published):
            remaining = [(i, entries, purge) for i, entries, purge in published if not purge]
        pulls = [
            UpdateOne({"_id": i}, {"$pullAll": {OUTBOX: entries}}) for i, entries, _ in remaining
        ]
        await bulk_write_in_chunks(collection, pulls, self._store.write_batch)
        purges = [
            DeleteOne({"_id": i, PURGE: True, OUTBOX: {"$size": 0}})
            for i, _, purge in remaining
            if purge
        ]
        await bulk_write_in_chunks(collection, purges, self._store.write_batch)
        # Every published entry's set-aside value, the deleted documents' included.
        await drop_values(
            self._store, collection, [e for _, entries, _ in published for e in entries]
        )

    async def _delete_published_whole(
        self, collection: AsyncCollection[Document], published: list[tuple[Any, list[Any], bool]]
    ) -> bool:
        """Deletes each document to purge whose outbox holds as many entries as were published
        from it: those very entries, since only this relay removes any. True if every such
        document was; else the caller pulls as usual (a no-op for the ones deleted)."""
        deletes = [
            DeleteOne({"_id": i, PURGE: True, OUTBOX: {"$size": len(entries)}})
            for i, entries, purge in published
            if purge and entries
        ]
        if not deletes:
            return False
        deleted = await bulk_write_in_chunks(collection, deletes, self._store.write_batch)
        return deleted == len(deletes)


def _record(topic_prefix: str, entry: Document, aside: dict[str, str]) -> OutgoingRecord:
    value = aside[entry["id"]] if entry.get(ASIDE) else entry["value"]
    return OutgoingRecord(
        topic_prefix + entry["topic"],
        entry["key"],
        value.encode(),
        entry["id"],
        entry["type"],
        trace_headers(entry.get("trace") or {}),
    )
