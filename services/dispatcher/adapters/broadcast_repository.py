"""Broadcasts and their recipient buckets on MongoDB.

`broadcasts`: one document each, unique per (organisation, idempotency key) when a key was
given. `recipient_buckets`: `_id` `<broadcast>:<n>` (so a broadcast's buckets are a range of
the `_id` index, on MongoDB and on the local store), up to 1,000 compact recipients each, with
their counts by status, written in the same update, and `open` while any is queued or being
sent. Every save is conditional on the version read.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import OperationFailure

from services.dispatcher.adapters.template_repository import (
    template_document,
    template_from_document,
)
from services.dispatcher.domain.audience import Audience
from services.dispatcher.domain.broadcasts import Broadcast, BroadcastState, QuietHours
from services.dispatcher.domain.messages import FreeText, Message, TemplateMessage
from services.dispatcher.domain.recipients import (
    EARLIEST,
    STATUSES,
    Recipient,
    RecipientBucket,
    bucket_id,
)
from shared.contracts.envelope import EventPayload
from shared.mongo.client import Document, ensure_indexes, is_duplicate_key
from shared.mongo.outbox import OUTBOX_INDEX, OutboxWakeup, outbox_entry, outbox_update

SOURCE = "roster/dispatcher"

BROADCAST_INDEXES = [
    IndexModel([("org_id", ASCENDING), ("created_at", DESCENDING), ("_id", DESCENDING)],
               name="org_broadcasts"),
    IndexModel([("state", ASCENDING), ("channel_id", ASCENDING), ("created_at", ASCENDING)],
               name="state_channel"),
    # Every broadcast has a value (its own id when no key was given): partial unique indexes
    # are not something the local store has.
    IndexModel([("idempotency", ASCENDING)], name="idempotency", unique=True),
]  # fmt: skip
BUCKET_INDEXES = [IndexModel([("broadcast_id", ASCENDING), ("open", ASCENDING)], name="open")]
# Recipients are stored compactly: a million of them are a thousand documents, and each
# recipient is one string of its fields (`_SEPARATOR` between them, times in epoch
# milliseconds), not an embedded document. The local store decodes and encodes a whole document
# on every read and write: a bucket of a thousand strings costs it a sixth of the same bucket of
# a thousand small documents to read, and a third to write (measured 2026-12-01).
_SEPARATOR = "\x1f"  # ASCII's unit separator: taken out of the provider's free text


def _range(broadcast_id: str) -> Document:
    return {"$gte": f"{broadcast_id}:", "$lt": f"{broadcast_id};"}


class MongoBroadcastRepository:
    def __init__(self, db: AsyncDatabase[Document], wakeup: OutboxWakeup) -> None:
        self.broadcasts = db["broadcasts"]
        self.buckets_collection = db["recipient_buckets"]
        # Each bucket's counts again, in a small document of their own (`bucket_counts`): the
        # local store decodes a whole document to read any field of it, and a million-recipient
        # broadcast's thousand buckets took seconds to sum (measured 2026-12-01: 4.2 s while it
        # sent), on every view of the broadcast. Written right after the bucket, with its
        # version (a copy never moves back); each is a whole bucket's counts, so the sum always
        # adds up; a copy a crash left one write behind is put right when the broadcast ends.
        self.counts_collection = db["bucket_counts"]
        self._wakeup = wakeup
        # By broadcast, by bucket number: when the bucket may next give something to send,
        # None once closed (see `open_bucket`). Only what was read or saved while the
        # broadcast was sending is kept: its buckets are final by then, whereas a resolution
        # may be cleared and done again by another replica.
        self._readiness: dict[str, dict[int, datetime | None]] = {}

    async def create_indexes(self) -> None:
        await ensure_indexes(self.broadcasts, [*BROADCAST_INDEXES, OUTBOX_INDEX])
        await ensure_indexes(self.buckets_collection, [*BUCKET_INDEXES, OUTBOX_INDEX])

    async def _write(
        self,
        collection: AsyncCollection[Document],
        doc_id: str,
        expected_version: int,
        state: Document,
        events: list[EventPayload],
        org_id: str,
    ) -> bool:
        """The new state and the events describing the change, in one conditional update."""
        entries = [
            outbox_entry(e, source=SOURCE, subject=_subject(e, doc_id), org_id=org_id,
                         sequence=None)
            for e in events
        ]  # fmt: skip
        result = await collection.update_one(
            {"_id": doc_id, "version": expected_version}, outbox_update(entries, state)
        )
        if result.matched_count != 1:
            return False
        self._wakeup.written(collection, doc_id, entries)
        events.clear()
        return True

    # Broadcasts

    async def add(self, broadcast: Broadcast) -> Broadcast:
        try:
            await self.broadcasts.insert_one(_document(broadcast))
        except OperationFailure as exc:
            if not is_duplicate_key(exc) or broadcast.idempotency_key is None:
                raise
            existing = await self.broadcasts.find_one(
                {"idempotency": _idempotency(broadcast.org_id, broadcast.idempotency_key)}
            )
            if existing is None:
                raise
            return _broadcast(existing)
        return broadcast

    async def get(self, org_id: str, broadcast_id: str) -> Broadcast | None:
        doc = await self.broadcasts.find_one({"_id": broadcast_id})
        return _broadcast(doc) if doc is not None and doc["org_id"] == org_id else None

    async def save(self, broadcast: Broadcast, expected_version: int) -> bool:
        state = _document(broadcast)
        del state["_id"]
        return await self._write(
            self.broadcasts, broadcast.id, expected_version, state, broadcast.events,
            broadcast.org_id,
        )  # fmt: skip

    async def page(
        self, org_id: str, after: tuple[datetime, str] | None, limit: int
    ) -> list[Broadcast]:
        query: Document = {"org_id": org_id}
        if after is not None:
            at, broadcast_id = after
            query["$or"] = [
                {"created_at": {"$lt": at}},
                {"created_at": at, "_id": {"$lt": broadcast_id}},
            ]
        docs = self.broadcasts.find(
            query, sort=[("created_at", DESCENDING), ("_id", DESCENDING)], limit=limit
        )
        return [_broadcast(doc) async for doc in docs]

    async def due(self, now: datetime) -> list[Broadcast]:
        docs = self.broadcasts.find(
            {"state": {"$in": [BroadcastState.SCHEDULED.value, BroadcastState.RESOLVING.value]}}
        )
        return [b async for doc in docs if (b := _broadcast(doc)).send_at <= now]

    async def sending_on(self, channel_id: str) -> list[Broadcast]:
        docs = self.broadcasts.find(
            {"state": BroadcastState.SENDING.value, "channel_id": channel_id},
            sort=[("created_at", ASCENDING)],
        )
        return [_broadcast(doc) async for doc in docs]

    async def channels_sending(self) -> list[str]:
        docs = self.broadcasts.find({"state": BroadcastState.SENDING.value}, {"channel_id": 1})
        return sorted({doc["channel_id"] async for doc in docs})

    # Buckets

    async def clear_buckets(self, broadcast_id: str) -> None:
        self._readiness.pop(broadcast_id, None)
        await self.buckets_collection.delete_many({"_id": _range(broadcast_id)})
        await self.counts_collection.delete_many({"_id": _range(broadcast_id)})

    async def add_bucket(self, bucket: RecipientBucket) -> None:
        bucket.version = 1
        state = _bucket_state(bucket)
        await self.buckets_collection.insert_one({"_id": bucket.id, **state})
        bucket.stored = state["recipients"]
        await self._copy_counts(bucket)

    async def get_bucket(self, broadcast_id: str, n: int) -> RecipientBucket | None:
        doc = await self.buckets_collection.find_one({"_id": bucket_id(broadcast_id, n)})
        return _bucket(doc) if doc is not None else None

    async def open_bucket(
        self, broadcast_id: str, now: datetime, after: int | None = None
    ) -> RecipientBucket | None:
        """The first bucket (after `after`) with recipients due now. Buckets are read one at a
        time by `_id`: a filter on anything else reads every bucket of the collection on the
        local store, a thousand large documents for a million-recipient broadcast. What this
        process saw of each bucket is remembered (`_readiness`): a closed bucket is never read
        again (it cannot reopen), one whose retries are not due yet is passed over until they
        are (nothing but this process's own sender can make them due sooner)."""
        known = self._readiness.setdefault(broadcast_id, {})
        n = (after or 0) + 1
        while True:
            ready = known.get(n, EARLIEST)
            if ready is not None and ready <= now:
                doc = await self.buckets_collection.find_one({"_id": bucket_id(broadcast_id, n)})
                if doc is None:
                    return None  # past the last bucket
                bucket = _bucket(doc)
                ready = self._remember(bucket)
                if ready is not None and ready <= now:
                    return bucket
            n += 1

    async def has_open_bucket(self, broadcast_id: str) -> bool:
        known = self._readiness.setdefault(broadcast_id, {})
        n = 1
        while True:
            if n not in known:
                doc = await self.buckets_collection.find_one({"_id": bucket_id(broadcast_id, n)})
                if doc is None:
                    self._readiness.pop(broadcast_id, None)  # finished: nothing left to recall
                    return False
                self._remember(_bucket(doc))
            if known[n] is not None:
                return True
            n += 1

    def _remember(self, bucket: RecipientBucket) -> datetime | None:
        """When the bucket may next give something to send; None once it is closed."""
        ready = None if bucket.done else bucket.ready_at()
        self._readiness.setdefault(bucket.broadcast_id, {})[bucket.n] = ready
        return ready

    async def save_bucket(self, bucket: RecipientBucket, expected_version: int) -> bool:
        """Only the recipients that changed since the bucket was read are written, each at its
        position (`recipients.<i>`), with the counts: a window costs its own size."""
        bucket.version = expected_version + 1
        state = _bucket_state(bucket)
        recipients = state.pop("recipients")
        if len(bucket.stored) == len(recipients):
            pairs = enumerate(zip(recipients, bucket.stored, strict=True))
            state |= {f"recipients.{i}": now for i, (now, was) in pairs if now != was}
        else:
            state["recipients"] = recipients
        saved = await self._write(
            self.buckets_collection, bucket.id, expected_version, state, bucket.events,
            bucket.org_id,
        )  # fmt: skip
        if saved:
            bucket.stored = recipients
            self._remember(bucket)
            await self._copy_counts(bucket)
        else:
            bucket.version = expected_version
        return saved

    async def _copy_counts(self, bucket: RecipientBucket) -> None:
        state = {f"n_{status}": count for status, count in _all_counts(bucket).items()}
        try:
            await self.counts_collection.update_one(
                {"_id": bucket.id, "version": {"$lt": bucket.version}},
                {"$set": {**state, "version": bucket.version}},
                upsert=True,
            )
        except OperationFailure as exc:
            if not is_duplicate_key(exc):  # a newer copy is there already
                raise

    async def counts(self, broadcast_id: str) -> Counter[str]:
        total: Counter[str] = Counter()
        found = False
        async for doc in self.counts_collection.find({"_id": _range(broadcast_id)}):
            found = True
            total.update({status: int(doc.get(f"n_{status}") or 0) for status in STATUSES})
        if not found:  # buckets stored before the copies existed: copied once, now
            total = await self.settle_counts(broadcast_id)
        return total

    async def settle_counts(self, broadcast_id: str) -> Counter[str]:
        """Copies every bucket's counts afresh (each bucket read whole: once, at the end)."""
        total: Counter[str] = Counter()
        async for bucket in self.buckets(broadcast_id):
            total.update(bucket.counts)
            await self._copy_counts(bucket)
        return total

    async def buckets(self, broadcast_id: str) -> AsyncIterator[RecipientBucket]:
        docs = self.buckets_collection.find(
            {"_id": _range(broadcast_id)}, sort=[("_id", ASCENDING)], batch_size=4
        )
        async for doc in docs:
            yield _bucket(doc)


def _subject(event: EventPayload, doc_id: str) -> str:
    """Message events are the contact's (one contact's stay in order); a broadcast's its own."""
    contact_id = getattr(event, "contact_id", None)
    return contact_id if isinstance(contact_id, str) else getattr(event, "broadcast_id", doc_id)


def _idempotency(org_id: str, key: str | None, broadcast_id: str = "") -> str:
    return f"key:{org_id}:{key}" if key is not None else f"id:{broadcast_id}"


def _document(b: Broadcast) -> Document:
    return {
        "_id": b.id,
        "org_id": b.org_id,
        "channel_id": b.channel_id,
        "audience": {"groups": list(b.audience.groups), "contact_ids": list(b.audience.contact_ids),
                     "exclude_groups": list(b.audience.exclude_groups), "query": b.audience.query},
        "message": _message_document(b.message),
        "created_by": b.created_by,
        "created_at": b.created_at,
        "send_at": b.send_at,
        "state": b.state.value,
        "idempotency": _idempotency(b.org_id, b.idempotency_key, b.id),
        "idempotency_key": b.idempotency_key,
        "quiet_hours": b.quiet_hours.as_dict() if b.quiet_hours else None,
        "audience_count": b.audience_count,
        "will_receive": b.will_receive,
        "excluded": dict(b.excluded),
        "buckets": b.buckets,
        "started_at": b.started_at,
        "finished_at": b.finished_at,
        "failure": b.failure,
        "version": b.version,
    }  # fmt: skip


def _broadcast(doc: Document) -> Broadcast:
    audience = doc.get("audience") or {}
    return Broadcast(
        id=doc["_id"],
        org_id=doc["org_id"],
        channel_id=doc["channel_id"],
        audience=Audience(
            groups=tuple(audience.get("groups") or ()),
            contact_ids=tuple(audience.get("contact_ids") or ()),
            exclude_groups=tuple(audience.get("exclude_groups") or ()),
            query=audience.get("query"),
        ),
        message=_message(doc["message"]),
        created_by=doc.get("created_by", ""),
        created_at=doc["created_at"],
        send_at=doc["send_at"],
        state=BroadcastState(doc["state"]),
        idempotency_key=doc.get("idempotency_key"),
        quiet_hours=QuietHours.parse(doc.get("quiet_hours")),
        audience_count=int(doc.get("audience_count") or 0),
        will_receive=int(doc.get("will_receive") or 0),
        excluded=Counter(doc.get("excluded") or {}),
        buckets=int(doc.get("buckets") or 0),
        started_at=doc.get("started_at"),
        finished_at=doc.get("finished_at"),
        failure=doc.get("failure"),
        version=int(doc["version"]),
    )


def _message_document(message: Message) -> Document:
    if isinstance(message, TemplateMessage):
        return {"template": template_document(message.template)}
    return {"text": message.text}


def _message(doc: Document) -> Message:
    if "template" in doc:
        return TemplateMessage(template_from_document(doc["template"]))
    return FreeText.of(doc["text"])


def _bucket_state(bucket: RecipientBucket) -> Document:
    return {
        "broadcast_id": bucket.broadcast_id,
        "org_id": bucket.org_id,
        "channel_id": bucket.channel_id,
        "n": bucket.n,
        "recipients": [_encode(r) for r in bucket.recipients],
        # One field per status, not an embedded document: FerretDB v1.24 skips a `$set` of an
        # embedded document whose values equal the old one's under other keys.
        **{f"n_{status}": count for status, count in _all_counts(bucket).items()},
        "open": not bucket.done,
        "ready_at": bucket.ready_at(),
        "version": bucket.version,
    }


def _all_counts(bucket: RecipientBucket) -> dict[str, int]:
    counts = bucket.counts
    return {status: counts.get(status, 0) for status in STATUSES}


def _bucket(doc: Document) -> RecipientBucket:
    stored = doc.get("recipients") or []
    return RecipientBucket(
        broadcast_id=doc["broadcast_id"],
        org_id=doc["org_id"],
        channel_id=doc.get("channel_id", ""),
        n=int(doc["n"]),
        recipients=[_decode(r) for r in stored],
        version=int(doc.get("version") or 0),
        stored=stored,
    )


def _encode(r: Recipient) -> str:
    return _SEPARATOR.join((
        r.contact_id, r.phone or "", r.status, _text(r.reason), _millis(r.updated_at),
        _text(r.provider_id), str(r.attempts), _millis(r.not_before),
    ))  # fmt: skip


def _decode(stored: str) -> Recipient:
    contact_id, phone, status, reason, updated_at, provider_id, attempts, not_before = stored.split(
        _SEPARATOR
    )
    return Recipient(
        contact_id=contact_id,
        phone=phone or None,
        status=status,
        reason=reason or None,
        updated_at=_moment(updated_at),
        provider_id=provider_id or None,
        attempts=int(attempts),
        not_before=_moment(not_before),
    )


def _text(value: str | None) -> str:
    return (value or "").replace(_SEPARATOR, " ")


def _millis(moment: datetime | None) -> str:
    return "" if moment is None else str(round(moment.timestamp() * 1000))


def _moment(millis: str) -> datetime | None:
    return datetime.fromtimestamp(int(millis) / 1000, UTC) if millis else None
