"""Answers to the importer's batches, through the outbox (`shared.mongo.replies`): a batch's
reply carries the `ContactCreated` of the contacts it created, published before it."""

from __future__ import annotations

from collections.abc import Sequence

from services.contacts.adapters.contact_collection import created_entries
from services.contacts.domain.model import Contact
from shared.contracts.imports import ContactRowsImported
from shared.mongo.replies import ReplyOutbox


class MongoImportReplies:
    def __init__(self, outbox: ReplyOutbox) -> None:
        self.outbox = outbox

    async def answer(
        self, reply: ContactRowsImported, org_id: str, created: Sequence[Contact]
    ) -> None:
        await self.outbox.answer(reply, org_id, along=created_entries(created))
