"""One way to open the store, and to tell MongoDB from FerretDB where behaviour must differ."""

from __future__ import annotations

from typing import Any

from pymongo import AsyncMongoClient

Document = dict[str, Any]


def create_client(url: str) -> AsyncMongoClient[Document]:
    return AsyncMongoClient(url, tz_aware=True, serverSelectionTimeoutMS=5000, connect=False)


async def ping(client: AsyncMongoClient[Document]) -> bool:
    try:
        await client.admin.command("ping")
    except Exception:
        return False
    return True


async def is_ferretdb(client: AsyncMongoClient[Document]) -> bool:
    """FerretDB reports itself in buildInfo; real MongoDB never carries a `ferretdb` section."""
    info = await client.admin.command("buildInfo")
    return "ferretdb" in info or "ferretdbFeatures" in info
