"""Replies to commands, published through the outbox like any event.

A reply is a document of its own holding its outbox entry (after the entries of events the
command caused, if it brings them along) and flagged for purging: the relay publishes them and
then deletes the document. Its `_id` is the reply's subject (say `<import id>:<batch>`),
so storing the same reply twice (a redelivered command) keeps one.
"""

from __future__ import annotations

from collections.abc import Sequence

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from shared.contracts.envelope import EventPayload
from shared.contracts.imports import BatchReply
from shared.mongo.client import Document, ensure_indexes
from shared.mongo.outbox import OUTBOX, OUTBOX_INDEX, PURGE, OutboxWakeup, outbox_entry


class ReplyOutbox:
    def __init__(
        self, collection: AsyncCollection[Document], source: str, wakeup: OutboxWakeup
    ) -> None:
        self.collection = collection
        self._source = source
        self._wakeup = wakeup

    async def create_indexes(self) -> None:
        await ensure_indexes(self.collection, [OUTBOX_INDEX])

    async def send(
        self,
        payload: EventPayload,
        *,
        subject: str,
        org_id: str,
        sequence: int | None,
        along: Sequence[Document] = (),
    ) -> None:
        """`along`: outbox entries of events the command caused, published before the reply
        (so whoever acts on the reply finds them already on their topics)."""
        entry = outbox_entry(
            payload, source=self._source, subject=subject, org_id=org_id, sequence=sequence
        )
        entries = [*along, entry]
        try:
            await self.collection.insert_one({"_id": subject, OUTBOX: entries, PURGE: True})
        except DuplicateKeyError:
            return  # stored by an earlier delivery of the same command
        self._wakeup.written(self.collection, subject, entries, purge=True)

    async def answer(self, reply: BatchReply, org_id: str, along: Sequence[Document] = ()) -> None:
        """The answer to an import's batch: one per batch, its number as the sequence."""
        subject = f"{reply.import_id}:{reply.batch}"
        await self.send(reply, subject=subject, org_id=org_id, sequence=reply.batch, along=along)
