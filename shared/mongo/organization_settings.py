"""A service's copy of an organisation's settings (from `OrganizationUpdated` on
`roster.organizations`): one document per organisation, written only by a newer event than
the one it holds (the event's sequence), so a repeated or late event changes nothing. The
groups service keeps the time zone and country (smart groups' dates, phones); the dispatcher
the time zone (quiet hours) and language (templates)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from shared.mongo.client import Document


async def apply_settings(
    collection: AsyncCollection[Document], org_id: str, sequence: int, values: Mapping[str, Any]
) -> None:
    doc = await collection.find_one({"_id": org_id}, {"version": 1}) or {}
    if int(doc.get("version") or 0) >= sequence:
        return  # an older or repeated event
    await collection.update_one(
        {"_id": org_id}, {"$set": {**values, "version": sequence}}, upsert=True
    )
