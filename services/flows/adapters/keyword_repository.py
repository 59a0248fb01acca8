"""Organisations' keyword settings on MongoDB: `keyword_settings`, one document per
organisation (its id), saved conditionally on the version read."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import OperationFailure

from services.flows.domain.keywords import KeywordSettings
from shared.mongo.client import Document, is_duplicate_key


class MongoKeywordSettingsRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.settings = db["keyword_settings"]

    async def create_indexes(self) -> None:
        """Read by `_id` only."""

    async def get(self, org_id: str) -> KeywordSettings:
        doc = await self.settings.find_one({"_id": org_id})
        if doc is None:
            return KeywordSettings(org_id)
        return KeywordSettings(
            org_id=org_id,
            opt_out=_lists(doc["opt_out"]),
            opt_in=_lists(doc["opt_in"]),
            reactivate_on_any_message=bool(doc.get("reactivate_on_any_message")),
            version=int(doc["version"]),
            opt_out_reply=doc.get("opt_out_reply"),
            opt_in_reply=doc.get("opt_in_reply"),
            opt_in_group_id=doc.get("opt_in_group_id"),
        )

    async def save(self, settings: KeywordSettings, expected_version: int) -> bool:
        state = {
            "opt_out": {k: list(v) for k, v in settings.opt_out.items()},
            "opt_in": {k: list(v) for k, v in settings.opt_in.items()},
            "reactivate_on_any_message": settings.reactivate_on_any_message,
            "opt_out_reply": settings.opt_out_reply,
            "opt_in_reply": settings.opt_in_reply,
            "opt_in_group_id": settings.opt_in_group_id,
            "version": expected_version + 1,
        }
        if expected_version == 0:
            try:
                await self.settings.insert_one({"_id": settings.org_id, **state})
            except OperationFailure as exc:
                if is_duplicate_key(exc):
                    return False
                raise
            return True
        result = await self.settings.update_one(
            {"_id": settings.org_id, "version": expected_version}, {"$set": state}
        )
        return result.matched_count == 1


def _lists(stored: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    return {language: tuple(words) for language, words in stored.items()}
