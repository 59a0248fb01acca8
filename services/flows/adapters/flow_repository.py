"""Flows on MongoDB: `flows`, one document per flow (its definition as JSON text: goflow's
keys are not all names a document may hold), saved conditionally on the version read."""

from __future__ import annotations

import json

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from services.flows.domain.flows import Flow
from shared.mongo.client import Document, ensure_indexes

FLOW_INDEXES = [IndexModel([("org_id", ASCENDING), ("_id", ASCENDING)], name="org_flows")]


def _document(flow: Flow) -> Document:
    return {"_id": flow.id, "org_id": flow.org_id, "name": flow.name,
            "definition": json.dumps(flow.definition), "created_at": flow.created_at,
            "updated_at": flow.updated_at, "version": flow.version,
            "deleted": flow.deleted}  # fmt: skip


def _flow(doc: Document) -> Flow:
    return Flow(id=doc["_id"], org_id=doc["org_id"], name=doc["name"],
                definition=json.loads(doc["definition"]), created_at=doc["created_at"],
                updated_at=doc["updated_at"], version=doc["version"],
                deleted=doc.get("deleted", False))  # fmt: skip


class MongoFlowRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection = db["flows"]

    async def create_indexes(self) -> None:
        await ensure_indexes(self.collection, FLOW_INDEXES)

    async def add(self, flow: Flow) -> None:
        await self.collection.insert_one(_document(flow))

    async def get(self, org_id: str, flow_id: str) -> Flow | None:
        doc = await self.collection.find_one({"_id": flow_id})
        if doc is None or doc["org_id"] != org_id or doc.get("deleted"):
            return None
        return _flow(doc)

    async def page(self, org_id: str, after: str | None, limit: int) -> list[Flow]:
        query: Document = {"org_id": org_id}
        if after is not None:
            query["_id"] = {"$gt": after}
        cursor = self.collection.find(query, sort=[("org_id", ASCENDING), ("_id", ASCENDING)],
                                      limit=limit + 10)  # fmt: skip
        found = [_flow(doc) async for doc in cursor if not doc.get("deleted")]
        return found[:limit]

    async def save(self, flow: Flow, expected_version: int) -> bool:
        state = _document(flow)
        del state["_id"]
        result = await self.collection.update_one(
            {"_id": flow.id, "version": expected_version}, {"$set": state}
        )
        return result.matched_count == 1
