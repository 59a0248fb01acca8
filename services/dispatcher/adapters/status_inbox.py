"""Status reports waiting to be applied, one document each: `_id` `<message>|<status>`, so a
report repeated by the provider is stored once; `seq` orders them (the time and a counter of
this process, enough to apply the oldest first; the statuses' order does not depend on it),
and puts off a postponed one. And the providers' own message ids, for their reports."""

from __future__ import annotations

import itertools
import time
from collections.abc import Mapping, Sequence

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from services.dispatcher.domain.recipients import StatusReport
from shared.mongo.client import (
    IDS_PER_QUERY,
    Document,
    Store,
    ensure_indexes,
    insert_unless_present,
)

INBOX_INDEXES = [IndexModel([("seq", ASCENDING)], name="seq")]


class MongoStatusInbox:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection = db["status_reports"]
        self._counter = itertools.count()

    async def create_indexes(self) -> None:
        await ensure_indexes(self.collection, INBOX_INDEXES)

    def _seq(self, delay_s: float = 0.0) -> str:
        return f"{time.time_ns() + int(delay_s * 1e9):020d}{next(self._counter):08d}"

    async def add(self, reports: Sequence[StatusReport]) -> None:
        if not reports:
            return
        docs = [
            {"_id": _key(r), "message_id": r.message_id, "status": r.status,
             "reason": r.reason, "tries": r.tries, "channel_id": r.channel_id,
             "seq": self._seq()}
            for r in reports
        ]  # fmt: skip
        await insert_unless_present(self.collection, docs)

    async def take(self, limit: int) -> list[StatusReport]:
        docs = self.collection.find(
            {"seq": {"$lte": self._seq()}}, sort=[("seq", ASCENDING)], limit=limit
        )
        return [
            StatusReport(d["message_id"], d["status"], d.get("reason"),
                         int(d.get("tries") or 0), d.get("channel_id") or "")
            async for d in docs
        ]  # fmt: skip

    async def postpone(self, reports: Sequence[StatusReport], seconds: float) -> None:
        for report in reports:
            await self.collection.update_one(
                {"_id": _key(report)},
                {"$set": {"seq": self._seq(seconds), "tries": report.tries + 1}},
            )

    async def done(self, reports: Sequence[StatusReport]) -> None:
        ids = [_key(r) for r in reports]
        for start in range(0, len(ids), IDS_PER_QUERY):
            await self.collection.delete_many({"_id": {"$in": ids[start : start + IDS_PER_QUERY]}})


def _key(report: StatusReport) -> str:
    return f"{report.message_id}|{report.status}"


class MongoProviderIds:
    """`provider_messages`: `_id` the provider's reference (channel and its message id), with
    our message id; written when a send's answer is recorded."""

    def __init__(self, db: AsyncDatabase[Document], store: Store) -> None:
        self.collection = db["provider_messages"]
        self._store = store

    async def add(self, refs: Mapping[str, str]) -> None:
        if refs:
            docs = [{"_id": ref, "message_id": ours} for ref, ours in refs.items()]
            await insert_unless_present(self.collection, docs)

    async def lookup(self, refs: Sequence[str]) -> dict[str, str]:
        docs = await self._store.find_by_ids(self.collection, list(refs))
        return {d["_id"]: d["message_id"] for d in docs}
