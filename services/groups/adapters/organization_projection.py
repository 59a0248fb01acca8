"""The groups service's projection of organisations (`OrganizationSettings`), from
`roster.organizations` and the field events on `roster.contacts`."""

from __future__ import annotations

from pymongo.asynchronous.database import AsyncDatabase

from services.groups.domain.organization import OrganizationSettings
from shared.contactql.values import FieldType
from shared.mongo.client import Document
from shared.mongo.organization_settings import apply_settings


class MongoOrganizationProjection:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection = db["organizations"]

    async def get(self, org_id: str) -> OrganizationSettings:
        doc = await self.collection.find_one({"_id": org_id}) or {}
        return OrganizationSettings(
            timezone=doc.get("timezone") or "UTC",
            default_country=doc.get("default_country"),
            fields={
                k: FieldType(v["type"])
                for k, v in (doc.get("fields") or {}).items()
                if v.get("type")
            },
        )

    async def apply_settings(
        self, org_id: str, sequence: int, timezone: str, default_country: str | None
    ) -> None:
        values = {"timezone": timezone, "default_country": default_country}
        await apply_settings(self.collection, org_id, sequence, values)

    async def apply_field(
        self, org_id: str, key: str, sequence: int, field_type: FieldType | None
    ) -> None:
        """`field_type` None: the field was deleted. Events of one organisation arrive in order
        (keyed by organisation), so read-then-write is safe; the sequence drops repeats."""
        doc = await self.collection.find_one({"_id": org_id}, {f"fields.{key}": 1}) or {}
        current = (doc.get("fields") or {}).get(key) or {}
        if int(current.get("seq") or 0) >= sequence:
            return
        value = {"seq": sequence, "type": field_type.value if field_type else None}
        await self.collection.update_one(
            {"_id": org_id}, {"$set": {f"fields.{key}": value}}, upsert=True
        )
