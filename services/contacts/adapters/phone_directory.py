"""Contacts found by phone through `_id` lookups, for a store that indexes nothing else.

FerretDB v1 (SQLite) answers only `_id` lookups from an index: `{org_id, phone_key: {$in}}`
scans every contact, seconds per call at a million, and an upsert import looks phones up for
every batch. There the repository keeps one small document per phone (`_id` = organisation and
phone key) naming the contact that holds it. It is a hint, not the truth: no transaction joins it
to the contact, so the repository checks every hint against the contact itself, and a phone
without a (correct) hint falls back to the scan and is then recorded. On MongoDB the `org_phone`
index answers directly and no hints are kept.
"""

from __future__ import annotations

from collections.abc import Sequence

from pymongo import ReplaceOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

from shared.mongo.client import DUPLICATE_KEY, Document, Store, bulk_write_in_chunks


def hint_id(org_id: str, phone_key: str) -> str:
    # A phone key never holds "/" (E.164, or "none:<contact id>"): unambiguous from the right.
    return f"{org_id}/{phone_key}"


class PhoneDirectory:
    def __init__(self, collection: AsyncCollection[Document], store: Store) -> None:
        self.collection = collection
        self._store = store

    async def hints(self, org_id: str, phone_keys: Sequence[str]) -> dict[str, str]:
        """Phone key → the contact id last recorded for it (unchecked)."""
        ids = [hint_id(org_id, key) for key in phone_keys]
        docs = await self._store.find_by_ids(self.collection, ids, {"contact_id": 1, "phone": 1})
        return {doc["phone"]: doc["contact_id"] for doc in docs}

    async def record(self, org_id: str, holders: Sequence[tuple[str, str]]) -> None:
        """Records (phone key, contact id) pairs: inserted in one round trip; a phone whose
        earlier hint is stale (its contact deleted or renumbered) is replaced."""
        if not holders:
            return
        docs = [
            {"_id": hint_id(org_id, key), "phone": key, "contact_id": contact_id}
            for key, contact_id in holders
        ]
        try:
            await self.collection.insert_many(docs, ordered=False)
            return
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(error.get("code") != DUPLICATE_KEY for error in errors):
                raise
            stale = [docs[error["index"]] for error in errors]
        replace = [ReplaceOne({"_id": doc["_id"]}, doc, upsert=True) for doc in stale]
        await bulk_write_in_chunks(self.collection, replace, self._store.write_batch)
