"""Triggers on MongoDB: `triggers`, one document per trigger, read a whole organisation at a
time (an organisation has tens of them), saved conditionally on the version read."""

from __future__ import annotations

from dataclasses import asdict

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from services.flows.domain.triggers import Trigger
from shared.mongo.client import Document, ensure_indexes

TRIGGER_INDEXES = [IndexModel([("org_id", ASCENDING), ("deleted", ASCENDING)], name="org")]


def _document(trigger: Trigger) -> Document:
    state = asdict(trigger)
    return {"_id": state.pop("id"), **state}


def _trigger(doc: Document) -> Trigger:
    state = dict(doc)
    return Trigger(id=state.pop("_id"), **state)


class MongoTriggerRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection = db["triggers"]

    async def create_indexes(self) -> None:
        await ensure_indexes(self.collection, TRIGGER_INDEXES)

    async def add(self, trigger: Trigger) -> None:
        await self.collection.insert_one(_document(trigger))

    async def of_org(self, org_id: str) -> list[Trigger]:
        cursor = self.collection.find({"org_id": org_id, "deleted": False})
        found = [_trigger(doc) async for doc in cursor]
        return sorted(found, key=lambda t: (t.created_at, t.id))

    async def get(self, org_id: str, trigger_id: str) -> Trigger | None:
        doc = await self.collection.find_one({"_id": trigger_id})
        if doc is None or doc["org_id"] != org_id or doc.get("deleted"):
            return None
        return _trigger(doc)

    async def save(self, trigger: Trigger, expected_version: int) -> bool:
        state = _document(trigger)
        del state["_id"]
        result = await self.collection.update_one(
            {"_id": trigger.id, "version": expected_version}, {"$set": state}
        )
        return result.matched_count == 1
