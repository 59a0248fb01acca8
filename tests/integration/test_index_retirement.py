"""A store written by an earlier version loses the indexes this one retired (each costs every
write) and gains the new ones, and starting twice changes nothing more."""

from __future__ import annotations

import uuid

from pymongo import ASCENDING, IndexModel

from services.contacts.adapters.contact_collection import (
    CONTACT_INDEXES,
    RETIRED_INDEXES,
    ContactCollection,
)
from shared.mongo.outbox import OutboxWakeup
from shared.settings import ServiceSettings
from tests.support.scratch import scratch_database


async def test_retired_indexes_are_dropped_and_current_ones_created(
    settings: ServiceSettings,
) -> None:
    async with scratch_database(settings, f"retire_{uuid.uuid4().hex[:6]}") as (store, db):
        old = [IndexModel([("org_id", ASCENDING), ("groups", ASCENDING)], name=RETIRED_INDEXES[1])]
        await db["contacts"].create_indexes(old)
        contacts = ContactCollection(db, store, OutboxWakeup())

        for _ in range(2):
            await contacts.create_indexes()
            names = {index["name"] async for index in await db["contacts"].list_indexes()}
            assert not names & set(RETIRED_INDEXES)
            assert {m.document["name"] for m in CONTACT_INDEXES} <= names
