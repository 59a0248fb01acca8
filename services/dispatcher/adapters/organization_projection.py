"""The dispatcher's copy of organisations' settings (`organizations`, from
`roster.organizations`)."""

from __future__ import annotations

from pymongo.asynchronous.database import AsyncDatabase

from services.dispatcher.domain.organization import OrganizationSettings
from shared.mongo.client import Document
from shared.mongo.organization_settings import apply_settings


class MongoOrganizationProjection:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection = db["organizations"]

    async def get(self, org_id: str) -> OrganizationSettings:
        doc = await self.collection.find_one({"_id": org_id}) or {}
        return OrganizationSettings(
            timezone=doc.get("timezone") or "UTC", default_language=doc.get("default_language")
        )

    async def apply(self, org_id: str, sequence: int, settings: OrganizationSettings) -> None:
        values = {"timezone": settings.timezone, "default_language": settings.default_language}
        await apply_settings(self.collection, org_id, sequence, values)
