"""A service's copy of organisations (`shared.contracts.organization_copy`) on MongoDB: one
document per organisation in the service's `organizations` collection. The settings are written
only by a newer `OrganizationUpdated` than the one they hold, each field only by a newer event of
that field, so a repeated or late event changes nothing. Events of one organisation arrive in
order (keyed by organisation), so reading before writing is safe."""

from __future__ import annotations

from pymongo.asynchronous.database import AsyncDatabase

from shared.contactql.values import FieldType
from shared.contracts.organization_copy import OrganizationSettings
from shared.mongo.client import Document


class MongoOrganizationCopies:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection = db["organizations"]

    async def get(self, org_id: str) -> OrganizationSettings:
        doc = await self.collection.find_one({"_id": org_id}) or {}
        return OrganizationSettings(
            timezone=doc.get("timezone") or "UTC",
            default_country=doc.get("default_country"),
            default_language=doc.get("default_language"),
            fields={
                k: FieldType(v["type"])
                for k, v in (doc.get("fields") or {}).items()
                if v.get("type")
            },
        )

    async def apply_settings(
        self, org_id: str, sequence: int, settings: OrganizationSettings
    ) -> None:
        doc = await self.collection.find_one({"_id": org_id}, {"version": 1}) or {}
        if int(doc.get("version") or 0) >= sequence:
            return  # an older or repeated event
        values = {
            "timezone": settings.timezone,
            "default_country": settings.default_country,
            "default_language": settings.default_language,
            "version": sequence,
        }
        await self.collection.update_one({"_id": org_id}, {"$set": values}, upsert=True)

    async def apply_field(
        self, org_id: str, key: str, sequence: int, field_type: FieldType | None
    ) -> None:
        doc = await self.collection.find_one({"_id": org_id}, {f"fields.{key}": 1}) or {}
        current = (doc.get("fields") or {}).get(key) or {}
        if int(current.get("seq") or 0) >= sequence:
            return
        value = {"seq": sequence, "type": field_type.value if field_type else None}
        await self.collection.update_one(
            {"_id": org_id}, {"$set": {f"fields.{key}": value}}, upsert=True
        )
