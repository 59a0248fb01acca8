"""The groups service's copy of each organisation's members and their roles, from the accounts
service's events: one document per organisation and user, applied in the user's order (an event
older than the one applied is dropped, so redelivery and replays change nothing)."""

from __future__ import annotations

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from shared.mongo.client import Document, ensure_indexes


class MongoOrganizationUsers:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection = db["organization_users"]

    async def create_indexes(self) -> None:
        await ensure_indexes(
            self.collection,
            [IndexModel([("org_id", ASCENDING), ("user_id", ASCENDING)], name="org_user")],
        )

    async def staff_of(self, org_id: str, user_ids: list[str]) -> set[str]:
        if not user_ids:
            return set()
        ids = [f"{org_id}:{user_id}" for user_id in user_ids]
        docs = await self.collection.find(
            {"_id": {"$in": ids}, "role": "staff"}, {"user_id": 1}
        ).to_list()
        return {doc["user_id"] for doc in docs}

    async def apply(self, org_id: str, user_id: str, role: str | None, sequence: int) -> None:
        key = f"{org_id}:{user_id}"
        current = await self.collection.find_one({"_id": key}, {"sequence": 1})
        if current is not None and int(current.get("sequence") or 0) >= sequence:
            return
        await self.collection.update_one(
            {"_id": key},
            {"$set": {"org_id": org_id, "user_id": user_id, "role": role, "sequence": sequence}},
            upsert=True,
        )
