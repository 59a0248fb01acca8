"""The importer's projection of organisations (`OrgView`), from `roster.organizations` and the
field events on `roster.contacts`."""

from __future__ import annotations

from pymongo.asynchronous.database import AsyncDatabase

from services.importer.domain.organization import OrgView
from shared.mongo.client import Document


class MongoOrgDirectory:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection = db["org_directory"]

    async def get(self, org_id: str) -> OrgView:
        doc = await self.collection.find_one({"_id": org_id})
        if doc is None:
            return OrgView()
        fields = {k: v["type"] for k, v in (doc.get("fields") or {}).items() if v.get("type")}
        return OrgView(default_country=doc.get("default_country"), fields=fields)

    async def apply_settings(self, org_id: str, sequence: int, default_country: str | None) -> None:
        doc = await self.collection.find_one({"_id": org_id}) or {}
        if int(doc.get("settings_seq") or 0) >= sequence:
            return
        await self.collection.update_one(
            {"_id": org_id},
            {"$set": {"default_country": default_country, "settings_seq": sequence}},
            upsert=True,
        )

    async def apply_field(
        self, org_id: str, key: str, sequence: int, field_type: str | None
    ) -> None:
        """`field_type` None: the field was deleted."""
        doc = await self.collection.find_one({"_id": org_id}) or {}
        current = (doc.get("fields") or {}).get(key) or {}
        if int(current.get("seq") or 0) >= sequence:
            return
        await self.collection.update_one(
            {"_id": org_id},
            {"$set": {f"fields.{key}": {"type": field_type, "seq": sequence}}},
            upsert=True,
        )
