"""Runs on MongoDB: `runs`, one document per run, saved with the commands of each move in its
outbox, conditionally on the version read.

At most one active run per contact is the store's own rule: `active_key` is
`<org>:<contact>` while the run waits and the run's own id once it ended, under a unique index
(the local store has no partial indexes; every run holds a distinct value instead). The
background work finds what is due by `wake_at` (the earlier of the wait's timeout and the
flow's expiry, only while waiting).

A contact's active run is found through `active_runs`, `<org>:<contact>` -> run id, read by
`_id` on every inbound message (the local store indexes nothing else: a search by `active_key`
would read every run). An entry is written before its run (a crash in between leaves an entry
naming no run, ignored and replaced) and taken out once the run ended (a crash in between
leaves an entry naming an ended run, ignored and replaced): the run is the truth."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from services.flows.adapters.conversation_repository import SOURCE
from services.flows.domain.runs import FlowRun, RunResult
from shared.mongo.client import (
    DUPLICATE_KEY,
    Document,
    Store,
    ensure_indexes,
    insert_unless_present,
)
from shared.mongo.outbox import OUTBOX, OUTBOX_INDEX, OutboxWakeup, outbox_entry, outbox_update

RUN_INDEXES = [
    IndexModel([("active_key", ASCENDING)], name="one_active_run", unique=True),
    IndexModel([("wake_at", ASCENDING)], name="wake"),
    IndexModel(
        [("org_id", ASCENDING), ("flow_id", ASCENDING), ("_id", DESCENDING)], name="flow_runs"
    ),
    IndexModel(
        [("org_id", ASCENDING), ("contact_id", ASCENDING), ("_id", DESCENDING)], name="contact_runs"
    ),
]


def _state(run: FlowRun) -> Document:
    waiting = run.active
    wake = [t for t in (run.timeout_at, run.expires_at) if t is not None]
    return {
        "org_id": run.org_id,
        "flow_id": run.flow_id,
        "flow_version": run.flow_version,
        "contact_id": run.contact_id,
        "channel_id": run.channel_id,
        "status": run.status,
        "node": run.node,
        "sent": run.sent,
        "started_at": run.started_at,
        "updated_at": run.updated_at,
        "expires_at": run.expires_at,
        "timeout_at": run.timeout_at,
        "ended_at": run.ended_at,
        "handled": run.handled,
        "failure": run.failure,
        "version": run.version,
        "last_input": run.last_input,
        "changed": run.changed,
        "changed_at_version": run.changed_at_version,
        "results": {
            k: {
                "name": r.name,
                "value": r.value,
                "category": r.category,
                "input": r.input,
                "node": r.node,
                "at": r.at,
            }
            for k, r in run.results.items()
        },
        "active_key": f"{run.org_id}:{run.contact_id}" if waiting else run.id,
        "wake_at": min(wake) if waiting and wake else None,
    }


def _run(doc: Document) -> FlowRun:
    return FlowRun(
        id=doc["_id"],
        org_id=doc["org_id"],
        flow_id=doc["flow_id"],
        flow_version=doc["flow_version"],
        contact_id=doc["contact_id"],
        channel_id=doc["channel_id"],
        started_at=doc["started_at"],
        status=doc["status"],
        node=doc.get("node"),
        sent=doc.get("sent", 0),
        updated_at=doc.get("updated_at"),
        expires_at=doc.get("expires_at"),
        timeout_at=doc.get("timeout_at"),
        ended_at=doc.get("ended_at"),
        handled=list(doc.get("handled") or []),
        failure=doc.get("failure"),
        version=doc["version"],
        last_input=doc.get("last_input"),
        changed=dict(doc.get("changed") or {}),
        changed_at_version=doc.get("changed_at_version"),
        results={k: RunResult(**r) for k, r in (doc.get("results") or {}).items()},
    )


class MongoRunRepository:
    def __init__(self, db: AsyncDatabase[Document], wakeup: OutboxWakeup, store: Store) -> None:
        self.collection = db["runs"]
        self.active = db["active_runs"]
        self._wakeup = wakeup
        self._store = store

    async def create_indexes(self) -> None:
        await ensure_indexes(self.collection, [*RUN_INDEXES, OUTBOX_INDEX])

    def _entries(self, run: FlowRun) -> list[Document]:
        return [
            outbox_entry(c, source=SOURCE, subject=run.contact_id, org_id=run.org_id, sequence=None)
            for c in run.commands
        ]

    async def add(self, runs: Sequence[FlowRun]) -> set[str]:
        """Returns the ids refused: their contact has an active run already."""
        if not runs:
            return set()
        await self._point(runs)
        entries = {run.id: self._entries(run) for run in runs}
        docs = [{"_id": r.id, **_state(r), OUTBOX: entries[r.id]} for r in runs]
        refused: set[str] = set()
        try:
            await self.collection.insert_many(docs, ordered=False)
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(e.get("code") != DUPLICATE_KEY for e in errors):
                raise
            refused = {docs[e["index"]]["_id"] for e in errors}
        for run in runs:
            if run.id not in refused:
                self._wakeup.written(self.collection, run.id, entries[run.id])
            run.commands.clear()
        return refused

    async def existing(self, run_ids: Sequence[str]) -> set[str]:
        return {
            d["_id"] for d in await self._store.find_by_ids(self.collection, run_ids, {"_id": 1})
        }

    async def get(self, org_id: str, run_id: str) -> FlowRun | None:
        doc = await self.collection.find_one({"_id": run_id}, {OUTBOX: 0})
        return _run(doc) if doc is not None and doc["org_id"] == org_id else None

    async def save(self, run: FlowRun, expected_version: int) -> bool:
        run.version = expected_version + 1
        entries = self._entries(run)
        result = await self.collection.update_one(
            {"_id": run.id, "version": expected_version}, outbox_update(entries, _state(run))
        )
        if result.matched_count != 1:
            run.version = expected_version
            return False
        self._wakeup.written(self.collection, run.id, entries)
        run.commands.clear()
        if not run.active:
            await self.active.delete_one({"_id": _active_key(run), "run_id": run.id})
        return True

    async def _point(self, runs: Sequence[FlowRun]) -> None:
        """Entries for new active runs; an entry naming a run still waiting stays (that run
        keeps the contact, and the new one is refused by `active_key`)."""
        docs = [{"_id": _active_key(r), "run_id": r.id} for r in runs if r.active]
        taken = [docs[i] for i in await insert_unless_present(self.active, docs)]
        if not taken:
            return
        current = {
            p["_id"]: p["run_id"]
            for p in await self._store.find_by_ids(self.active, [d["_id"] for d in taken])
        }
        alive = {
            d["_id"]
            for d in await self._store.find_by_ids(
                self.collection, list(current.values()), {"status": 1}
            )
            if d["status"] == "waiting"
        }
        for doc in taken:
            old = current.get(doc["_id"])
            if old not in alive:  # naming no run, or an ended one: replaced
                await self.active.update_one(
                    {"_id": doc["_id"], "run_id": old}, {"$set": {"run_id": doc["run_id"]}}
                )

    async def active_for(self, org_id: str, contact_ids: Sequence[str]) -> dict[str, FlowRun]:
        keys = [f"{org_id}:{c}" for c in dict.fromkeys(contact_ids)]
        pointers = await self._store.find_by_ids(self.active, keys)
        docs = await self._store.find_by_ids(
            self.collection, [p["run_id"] for p in pointers], {OUTBOX: 0}
        )
        runs = [_run(d) for d in docs if d["org_id"] == org_id]
        return {r.contact_id: r for r in runs if r.active}

    async def started_since(
        self, org_id: str, flow_id: str, contact_ids: Sequence[str], since: datetime
    ) -> set[str]:
        cursor = self.collection.find(
            {
                "org_id": org_id,
                "flow_id": flow_id,
                "contact_id": {"$in": list(contact_ids)},
                "started_at": {"$gte": since},
            },
            {"contact_id": 1},
        )
        return {doc["contact_id"] async for doc in cursor}

    async def due(self, now: datetime, limit: int) -> list[FlowRun]:
        cursor = self.collection.find(
            {"wake_at": {"$lte": now}}, {OUTBOX: 0}, sort=[("wake_at", ASCENDING)], limit=limit
        )
        return [_run(doc) async for doc in cursor]

    async def page(
        self,
        org_id: str,
        *,
        flow_id: str | None = None,
        contact_id: str | None = None,
        status: str | None = None,
        result: tuple[str, str] | None = None,
        after: str | None = None,
        limit: int = 50,
    ) -> list[FlowRun]:
        query: dict[str, Any] = {"org_id": org_id}
        if flow_id is not None:
            query["flow_id"] = flow_id
        if contact_id is not None:
            query["contact_id"] = contact_id
        if status is not None:
            query["status"] = status
        if result is not None:
            query[f"results.{result[0]}.category"] = result[1]
        if after is not None:
            query["_id"] = {"$lt": after}
        by = "flow_id" if flow_id is not None else "contact_id"
        cursor = self.collection.find(
            query,
            {OUTBOX: 0},
            sort=[("org_id", ASCENDING), (by, ASCENDING), ("_id", DESCENDING)],
            limit=limit,
        )
        return [_run(doc) async for doc in cursor]


def _active_key(run: FlowRun) -> str:
    return f"{run.org_id}:{run.contact_id}"
