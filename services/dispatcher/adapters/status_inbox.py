"""Status reports waiting to be applied, one document each: `_id` `<message>|<status>`, so a
report repeated by the provider is stored once; `seq` orders them (a counter of this process
and the time, enough to apply the oldest first; the statuses' order does not depend on it)."""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from services.dispatcher.domain.recipients import StatusReport
from shared.mongo.client import IDS_PER_QUERY, Document, ensure_indexes, insert_unless_present

INBOX_INDEXES = [IndexModel([("seq", ASCENDING)], name="seq")]


class MongoStatusInbox:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection = db["status_reports"]
        self._counter = itertools.count()

    async def create_indexes(self) -> None:
        await ensure_indexes(self.collection, INBOX_INDEXES)

    async def add(self, reports: Sequence[StatusReport]) -> None:
        if not reports:
            return
        docs = [
            {"_id": f"{r.message_id}|{r.status}", "message_id": r.message_id, "status": r.status,
             "reason": r.reason, "seq": f"{time.time_ns():020d}{next(self._counter):08d}"}
            for r in reports
        ]  # fmt: skip
        await insert_unless_present(self.collection, docs)

    async def take(self, limit: int) -> list[StatusReport]:
        docs = self.collection.find({}, sort=[("seq", ASCENDING)], limit=limit)
        return [StatusReport(d["message_id"], d["status"], d.get("reason")) async for d in docs]

    async def done(self, reports: Sequence[StatusReport]) -> None:
        ids = [f"{r.message_id}|{r.status}" for r in reports]
        for start in range(0, len(ids), IDS_PER_QUERY):
            await self.collection.delete_many({"_id": {"$in": ids[start : start + IDS_PER_QUERY]}})
