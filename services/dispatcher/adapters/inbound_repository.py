"""Inbound messages on MongoDB: `inbound_messages`, one small document per message (its `_id`
ours, from the channel and the provider's id), inserted with its event in its outbox. A
provider's repeat delivery is refused by the `_id` and publishes nothing; the document stays,
so a repeat days later is still recognised."""

from __future__ import annotations

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import OperationFailure

from services.dispatcher.adapters.broadcast_repository import SOURCE
from services.dispatcher.domain.inbound import InboundMessage
from shared.mongo.client import Document, ensure_indexes, is_duplicate_key
from shared.mongo.outbox import OUTBOX, OUTBOX_INDEX, OutboxWakeup, outbox_entry


class MongoInboundRepository:
    def __init__(self, db: AsyncDatabase[Document], wakeup: OutboxWakeup) -> None:
        self.collection = db["inbound_messages"]
        self._wakeup = wakeup

    async def create_indexes(self) -> None:
        await ensure_indexes(self.collection, [OUTBOX_INDEX])

    async def add(self, message: InboundMessage) -> bool:
        entry = outbox_entry(message.event(), source=SOURCE, subject=message.sender_key,
                             org_id=message.org_id, sequence=None)  # fmt: skip
        doc = {"_id": message.id, "org_id": message.org_id, "channel_id": message.channel_id,
               "phone": message.phone, "received_at": message.received_at,
               OUTBOX: [entry]}  # fmt: skip
        try:
            await self.collection.insert_one(doc)
        except OperationFailure as exc:
            if is_duplicate_key(exc):
                return False
            raise
        self._wakeup.written(self.collection, message.id, [entry])
        return True
