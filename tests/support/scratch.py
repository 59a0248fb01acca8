"""A database of its own for a test that talks to the store directly (not through a service),
dropped afterwards however the test ends."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from pymongo.asynchronous.database import AsyncDatabase

from shared.mongo.client import Document, Store, connect_store
from shared.settings import ServiceSettings


@asynccontextmanager
async def scratch_database(
    settings: ServiceSettings, name: str
) -> AsyncIterator[tuple[Store, AsyncDatabase[Document]]]:
    """The store, and the database `name` under the run's prefix."""
    store = await connect_store(settings.mongodb_url)
    database_name = settings.database_name(name)
    try:
        yield store, store.client[database_name]
    finally:
        await store.client.drop_database(database_name)
        await store.close()
