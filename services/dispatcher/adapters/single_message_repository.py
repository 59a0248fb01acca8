"""Single messages on MongoDB (`single_messages`): one small document per message, its `_id`
ours (`single_message_id`), each change saved with its events in its outbox, conditional on
the version read.

The sender's questions (which channels have messages waiting, the next ones of a channel) are
asked before every broadcast window, so they are answered from `single_queue`: one tiny
document per message still waiting (its channel and when it is due), taken out once the
message is done. The local store indexes only `_id`, so a question about the messages
themselves would read every message ever sent; the queue holds only what is still to send.
The message is the truth, the queue its index: an entry is written before its message (a
crash in between leaves an entry without a message, dropped when read) and removed after it
(a crash in between leaves an entry for a message done, dropped when read)."""

from __future__ import annotations

from datetime import datetime

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import OperationFailure

from services.dispatcher.adapters.broadcast_repository import SOURCE
from services.dispatcher.domain.recipients import Recipient
from services.dispatcher.domain.single_messages import SingleMessage
from shared.mongo.client import Document, ensure_indexes, is_duplicate_key
from shared.mongo.outbox import OUTBOX, OUTBOX_INDEX, OutboxWakeup, outbox_entry, outbox_update


def _state(message: SingleMessage) -> Document:
    r, due = message.recipient, message.due_at
    return {
        "org_id": message.org_id, "channel_id": message.channel_id, "text": message.text,
        "purpose": message.purpose, "requested_at": message.requested_at,
        "queued_at": message.queued_at,
        "contact_id": r.contact_id, "phone": r.phone, "status": r.status, "reason": r.reason,
        "updated_at": r.updated_at, "provider_id": r.provider_id, "attempts": r.attempts,
        "not_before": r.not_before, "version": message.version,
        "due": due,
    }  # fmt: skip


def _message(doc: Document) -> SingleMessage:
    return SingleMessage(
        id=doc["_id"], org_id=doc["org_id"], channel_id=doc["channel_id"], text=doc["text"],
        purpose=doc["purpose"], requested_at=doc["requested_at"], version=doc["version"],
        queued_at=doc["queued_at"],
        recipient=Recipient(
            contact_id=doc["contact_id"], phone=doc.get("phone"), status=doc["status"],
            reason=doc.get("reason"), updated_at=doc.get("updated_at"),
            provider_id=doc.get("provider_id"), attempts=doc.get("attempts", 0),
            not_before=doc.get("not_before"),
        ),
    )  # fmt: skip


class MongoSingleMessageRepository:
    def __init__(self, db: AsyncDatabase[Document], wakeup: OutboxWakeup) -> None:
        self.collection = db["single_messages"]
        self.queue = db["single_queue"]
        self._wakeup = wakeup

    async def create_indexes(self) -> None:
        await ensure_indexes(self.collection, [OUTBOX_INDEX])

    async def add(self, message: SingleMessage) -> bool:
        await self._queue(message)
        try:
            await self.collection.insert_one({"_id": message.id, **_state(message), OUTBOX: []})
        except OperationFailure as exc:
            if is_duplicate_key(exc):
                return False
            raise
        return True

    async def get(self, message_id: str) -> SingleMessage | None:
        doc = await self.collection.find_one({"_id": message_id}, {OUTBOX: 0})
        return _message(doc) if doc is not None else None

    async def channels_waiting(self) -> list[str]:
        found = await self.queue.distinct("channel_id")
        return [c for c in found if isinstance(c, str)]

    async def waiting_on(self, channel_id: str, now: datetime, limit: int) -> list[SingleMessage]:
        entries = await self.queue.find({"channel_id": channel_id}).to_list()
        due = sorted((e for e in entries if e["due"] <= now), key=lambda e: (e["due"], e["_id"]))
        wanted = [e["_id"] for e in due[:limit]]
        docs = {d["_id"]: d for d in await self.collection.find(
            {"_id": {"$in": wanted}}, {OUTBOX: 0}).to_list()}  # fmt: skip
        found = [_message(docs[i]) for i in wanted if i in docs]
        waiting = [m for m in found if m.due_at is not None]
        stale = [i for i in wanted if i not in docs] + [m.id for m in found if m.due_at is None]
        if stale:  # left by a crash between the two writes
            await self.queue.delete_many({"_id": {"$in": stale}})
        return waiting

    async def has_waiting(self, channel_id: str) -> bool:
        return await self.queue.find_one({"channel_id": channel_id}, {"_id": 1}) is not None

    async def save(self, message: SingleMessage, expected_version: int) -> bool:
        message.version = expected_version + 1
        entries = [outbox_entry(e, source=SOURCE, subject=message.contact_id,
                                org_id=message.org_id, sequence=None)
                   for e in message.events]  # fmt: skip
        result = await self.collection.update_one(
            {"_id": message.id, "version": expected_version},
            outbox_update(entries, _state(message)),
        )
        if result.matched_count != 1:
            message.version = expected_version
            return False
        self._wakeup.written(self.collection, message.id, entries)
        message.events.clear()
        await self._queue(message)
        return True

    async def _queue(self, message: SingleMessage) -> None:
        """The queue entry as the message stands: due when it is, gone once it is done."""
        if (due := message.due_at) is None:
            await self.queue.delete_one({"_id": message.id})
        else:
            await self.queue.update_one(
                {"_id": message.id},
                {"$set": {"channel_id": message.channel_id, "due": due}},
                upsert=True,
            )
