"""Organisation settings, one document per organisation, with their events in an outbox."""

from __future__ import annotations

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from services.contacts.adapters.contact_collection import versioned
from services.contacts.adapters.documents import organization_from_document, organization_state
from services.contacts.domain.errors import VersionConflict
from services.contacts.domain.organization import Organization
from shared.mongo.client import Document
from shared.mongo.outbox import OUTBOX, OutboxWakeup, outbox_update


class MongoOrganizationRepository:
    def __init__(self, db: AsyncDatabase[Document], wakeup: OutboxWakeup) -> None:
        self.collection = db["organizations"]
        self._wakeup = wakeup

    async def get(self, org_id: str) -> Organization:
        doc = await self.collection.find_one({"_id": org_id})
        return organization_from_document(doc) if doc else Organization(id=org_id)

    async def get_or_create(self, org_id: str) -> Organization:
        """Read first: the organisation exists on every request but its first."""
        doc = await self.collection.find_one({"_id": org_id})
        if doc is None:
            defaults = organization_state(Organization(id=org_id))
            doc = await self.collection.find_one_and_update(
                {"_id": org_id},
                {"$setOnInsert": {**defaults, OUTBOX: []}},
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )  # no projection: FerretDB does not implement it for findAndModify
        assert doc is not None  # upserted and returned after the update
        return organization_from_document(doc)

    async def save(self, org: Organization, expected_version: int) -> None:
        if not org.events:
            return
        entries = versioned(org.events, org.id, org.id, org.version)
        update = outbox_update(entries, organization_state(org))
        result = await self.collection.update_one(
            {"_id": org.id, "version": expected_version}, update
        )
        if result.matched_count == 0:
            raise VersionConflict("the organisation settings were changed by someone else")
        org.events.clear()
        self._wakeup.written(self.collection, org.id, entries)
