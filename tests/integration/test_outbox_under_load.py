"""The outbox under batch load: a full batch of 1,000 contacts is published and settled, and
bulk writes larger than FerretDB's SQLite connection pool complete instead of hanging the store."""

from __future__ import annotations

import asyncio

import httpx
from pymongo import UpdateOne

from services.contacts.bootstrap import ContactsService
from shared.mongo.client import bulk_write_in_chunks
from shared.mongo.outbox import HAS_EVENTS
from shared.settings import ServiceSettings
from tests.conftest import TokenFactory
from tests.support.eventually import eventually
from tests.support.kafka import TopicTail
from tests.support.scratch import scratch_database


async def test_bulk_updates_larger_than_the_store_pool_complete(settings: ServiceSettings) -> None:
    async with scratch_database(settings, "bulkload") as (store, db):
        collection = db["docs"]
        await collection.insert_many([{"_id": f"d{i}", "done": False} for i in range(300)])
        # A filter beyond `_id` alone, like the relay's: FerretDB reads it through a cursor.
        updates = [
            UpdateOne({"_id": f"d{i}", "done": False}, {"$set": {"done": True}}) for i in range(300)
        ]
        await asyncio.wait_for(
            bulk_write_in_chunks(collection, updates, store.write_batch), timeout=60
        )
        assert await collection.count_documents({"done": True}) == 300
        # The store still answers other commands afterwards.
        assert await asyncio.wait_for(collection.find_one({"_id": "d299"}), 10) == {
            "_id": "d299",
            "done": True,
        }


async def test_a_full_batch_is_published_once_and_settled(
    client: httpx.AsyncClient,
    contacts_service: ContactsService,
    settings: ServiceSettings,
    auth: TokenFactory,
    org: str,
) -> None:
    entries = [{"name": f"Load {i}", "phone": f"+2547{10_000_000 + i}"} for i in range(1000)]
    async with TopicTail(
        settings.kafka_bootstrap, settings.kafka_topic_prefix + "roster.contacts"
    ) as tail:
        response = await client.post(
            "/v1/contacts/batch", json={"contacts": entries}, headers=auth(org)
        )
        assert response.status_code == 200, response.text
        assert response.json()["created"] == 1000
        created = await tail.wait_for(
            lambda e: e["orgid"] == org and e["type"].endswith("ContactCreated"),
            count=1000,
            timeout_s=120,
        )
        await tail.drain(1.0)
    ids = [e["id"] for e in tail.envelopes() if e["orgid"] == org]
    assert len(ids) == len(set(ids)) == 1000
    assert len({e["subject"] for e in created}) == 1000

    contacts = contacts_service.uow.contacts.collection
    await eventually(
        lambda: contacts.count_documents({"org_id": org, **HAS_EVENTS}),
        lambda pending: pending == 0,
        timeout_s=60,
    )
    probe = await client.get(f"/v1/contacts/{created[0]['subject']}", headers=auth(org))
    assert probe.status_code == 200
