"""Opening the store, and telling MongoDB from FerretDB where behaviour must differ."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from pymongo import AsyncMongoClient, DeleteOne, IndexModel, ReplaceOne, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, OperationFailure
from pymongo.monitoring import CommandListener

from shared.logging import get_logger
from shared.mongo.command_metrics import StoreCommandMetrics

Document = dict[str, Any]
WriteOperation = UpdateOne | ReplaceOne | DeleteOne
log = get_logger(__name__)

DUPLICATE_KEY = 11000

# FerretDB v1.24 (SQLite) keeps each statement's read cursor of an `update` command open until
# the whole command ends, and its SQLite pool has 100 connections: an update command with 100
# statements or more waits forever for a connection. 50 leaves room for other clients.
FERRETDB_WRITE_BATCH = 50
MONGODB_WRITE_BATCH = 1000
# How many documents one `insert` command carries, on either store. The limit above is the
# update's: FerretDB inserts a command's documents a hundred per SQLite transaction and keeps
# no cursor per document. Small documents (memberships) cost a third as much each in commands of
# 1,000 as in commands of 50 on the local store.
INSERT_BATCH = 1000


# How many ids one `_id: {$in: [...]}` carries (the patched FerretDB pushes down at most 10,000).
IDS_PER_QUERY = 10_000
# The project's FerretDB build names its patches in its version's build metadata
# (deploy/local/ferretdb/patches): `_id` filters use the index whatever else they hold.
ID_PUSHDOWN_MARK = "roster.idpushdown"


def _id_chunks(ids: Sequence[str]) -> Iterator[list[str]]:
    for start in range(0, len(ids), IDS_PER_QUERY):
        yield list(ids[start : start + IDS_PER_QUERY])


# Connections the API's reads go through on FerretDB (beside the one writing connection).
FERRETDB_READ_POOL = 2


@dataclass(frozen=True)
class Store:
    """`client` does everything a command, a consumer or a worker needs: on FerretDB a single
    connection, so that this process's writes (and the reads they depend on) go in order.

    `reader` serves the API's reads (`reading`): on FerretDB a small pool of its own, so a GET
    never queues behind a run of writes, a relay pass or a consumer's batch on the writing
    connection; reads cannot lose updates. Only the API's reads use it: on FerretDB every
    reading connection slows the writer down (measured: two connections reading 3,000
    documents in a loop cut a writer's `update_many` rate five-fold, and SQLite's write-ahead
    log grows while readers overlap), so the heavy reads that commands make stay on `client`.

    `scanner` serves long read-only scans (the outbox relay's, a group's members): on FerretDB a
    connection of its own, so a scan holds up neither. On MongoDB all three are `client`, whose
    pool does the same.

    `prober` only pings, for readiness: on FerretDB both other connections may be busy for
    long (a run of writes, a scan) while the store is fine.

    `ids_indexed`: a filter on `_id` (equality or `$in`) is answered from the index whatever
    else it holds. True on MongoDB and on the project's patched FerretDB; stock FerretDB v1
    answers only a lone `_id` equality from its index and scans for anything else."""

    client: AsyncMongoClient[Document]
    ferretdb: bool
    scanner: AsyncMongoClient[Document]
    prober: AsyncMongoClient[Document]
    ids_indexed: bool = True
    reader: AsyncMongoClient[Document] | None = None

    async def close(self) -> None:
        for extra in (self.scanner, self.prober, self.reader):
            if extra is not None and extra is not self.client:
                await extra.close()
        await self.client.close()

    def reading(self, db_name: str) -> AsyncDatabase[Document]:
        """The database as the API reads it (see the class doc)."""
        return (self.reader or self.client)[db_name]

    def for_scans(self, collection: AsyncCollection[Document]) -> AsyncCollection[Document]:
        """The same collection, reached through the scanning connection."""
        return self.scanner[collection.database.name][collection.name]

    async def find_by_ids(
        self,
        collection: AsyncCollection[Document],
        ids: Sequence[str],
        projection: Document | None = None,
    ) -> list[Document]:
        """Documents by `_id`, with `$in` where that uses the index; else once per id (stock
        FerretDB compares every document with every listed id: 10,000 ids over 10,000
        documents keep it busy for minutes). Read on the connection `collection` belongs to."""
        if not self.ids_indexed:
            docs = [await collection.find_one({"_id": i}, projection) for i in ids]
            return [doc for doc in docs if doc is not None]
        found: list[Document] = []
        for chunk in _id_chunks(ids):
            cursor = collection.find({"_id": {"$in": chunk}}, projection, batch_size=len(chunk) + 1)
            found += await cursor.to_list()
        return found

    async def update_by_ids(
        self,
        collection: AsyncCollection[Document],
        ids: Sequence[str],
        update: Document,
        guard: Document | None = None,
    ) -> int:
        """The same update on every listed document that also matches `guard`; returns how
        many changed. One statement per chunk of ids where `_id: {$in}` uses the index, else one
        statement per id (by `_id` alone: stock FerretDB scans for any filter beyond it, so
        there the caller must have checked `guard` itself)."""
        if not self.ids_indexed:
            ops = [UpdateOne({"_id": i}, update) for i in ids]
            return await bulk_write_in_chunks(collection, ops, self.write_batch)
        changed = 0
        for chunk in _id_chunks(ids):
            result = await collection.update_many({"_id": {"$in": chunk}, **(guard or {})}, update)
            changed += result.modified_count
        return changed

    async def delete_by_ids(self, collection: AsyncCollection[Document], ids: Sequence[str]) -> int:
        """Deletes the listed documents (see `update_by_ids` for how); returns how many."""
        if not self.ids_indexed:
            ops = [DeleteOne({"_id": i}) for i in ids]
            return await bulk_write_in_chunks(collection, ops, self.write_batch)
        deleted = 0
        for chunk in _id_chunks(ids):
            deleted += (await collection.delete_many({"_id": {"$in": chunk}})).deleted_count
        return deleted

    @property
    def write_batch(self) -> int:
        """How many statements one bulk write command may carry on this store."""
        return FERRETDB_WRITE_BATCH if self.ferretdb else MONGODB_WRITE_BATCH


def create_client(url: str, **options: Any) -> AsyncMongoClient[Document]:
    return AsyncMongoClient(
        url, tz_aware=True, serverSelectionTimeoutMS=5000, connect=False, **options
    )


async def ferretdb_version(client: AsyncMongoClient[Document]) -> str | None:
    """FerretDB names itself in buildInfo; real MongoDB never carries `ferretdbVersion`."""
    info = await client.admin.command("buildInfo")
    if "ferretdbVersion" not in info and "ferretdbFeatures" not in info:
        return None
    return str(info.get("ferretdbVersion") or "unknown")


async def connect_store(url: str, listeners: Sequence[CommandListener] = ()) -> Store:
    """Opens the store; on FerretDB with one connection per process.

    FerretDB v1 (SQLite backend) does not run an update's read-modify-write in a transaction, so
    two connections updating one document can lose a write (FerretDB issue #3040). A single
    connection serialises this process's writes, which keeps version checks and the outbox
    correct; several replicas against one FerretDB remain unsafe, so production uses MongoDB.
    """
    probe = create_client(url)
    try:
        version = await ferretdb_version(probe)
    finally:
        await probe.close()
    metrics = StoreCommandMetrics()
    if version is None:
        client = create_client(url, event_listeners=[metrics, *listeners])
        return Store(client, ferretdb=False, scanner=client, prober=client, reader=client)
    ids_indexed = ID_PUSHDOWN_MARK in version
    log.warning(
        "ferretdb_detected",
        version=version,
        ids_indexed=ids_indexed,
        detail="one store connection per process; run a single replica per service on FerretDB",
    )
    return Store(
        create_client(url, maxPoolSize=1, event_listeners=[metrics, *listeners]),
        ferretdb=True,
        scanner=create_client(url, maxPoolSize=1, event_listeners=[metrics]),
        prober=create_client(url, maxPoolSize=1, event_listeners=[metrics]),
        ids_indexed=ids_indexed,
        reader=create_client(url, maxPoolSize=FERRETDB_READ_POOL, event_listeners=[metrics]),
    )


async def ping(client: AsyncMongoClient[Document]) -> bool:
    try:
        await client.admin.command("ping")
    except Exception:
        return False
    return True


async def bulk_write_in_chunks(
    collection: AsyncCollection[Document], operations: Sequence[WriteOperation], chunk: int
) -> int:
    """Unordered bulk write split into commands of at most `chunk` statements (see Store);
    returns how many documents were modified or deleted."""
    changed = 0
    for start in range(0, len(operations), chunk):
        result = await collection.bulk_write(list(operations[start : start + chunk]), ordered=False)
        changed += result.modified_count + result.deleted_count
    return changed


def is_duplicate_key(exc: Exception) -> bool:
    """MongoDB reports code 11000; FerretDB's SQLite backend reports updates into a unique
    key as an internal error naming the UNIQUE constraint."""
    if not isinstance(exc, OperationFailure):
        return False
    return exc.code == DUPLICATE_KEY or (exc.code == 1 and "UNIQUE constraint" in str(exc))


async def ensure_indexes(
    collection: AsyncCollection[Document],
    models: Sequence[IndexModel],
    retired: Sequence[str] = (),
) -> None:
    """Creates only the indexes that are missing: FerretDB v1.24 crashes the connection when
    asked to create an index that already exists, which MongoDB treats as a no-op. Drops the
    `retired` ones a store created by an earlier version still has: every index costs writes."""
    existing = {index["name"] async for index in await collection.list_indexes()}
    missing = [m for m in models if m.document["name"] not in existing]
    if missing:
        await collection.create_indexes(missing)
    for name in retired:
        if name in existing:
            await collection.drop_index(name)


async def insert_unless_present(
    collection: AsyncCollection[Document], docs: Sequence[Document]
) -> set[int]:
    """Inserts in one unordered command; returns the positions refused because a document
    with the same key is already there (any other error is raised)."""
    try:
        await collection.insert_many(list(docs), ordered=False)
    except BulkWriteError as exc:
        errors = exc.details.get("writeErrors", [])
        if any(e.get("code") != DUPLICATE_KEY for e in errors):
            raise
        return {e["index"] for e in errors}
    return set()


async def count_matching(collection: AsyncCollection[Document], query: Document) -> int:
    """The `count` command, where `count_documents` sends an aggregation: the local store
    counts the command's query from an index when it can (MongoDB counts either way)."""
    reply = await collection.database.command("count", collection.name, query=query)
    return int(reply["n"])


async def membership_page(
    collection: AsyncCollection[Document], org_id: str, after: str | None, limit: int
) -> list[tuple[str, list[str]]]:
    """Contact documents with a non-empty `groups` array (both services keep one), by id."""
    query: Document = {"org_id": org_id, "groups.0": {"$exists": True}}
    if after is not None:
        query["_id"] = {"$gt": after}
    docs = await collection.find(
        query, {"groups": 1}, sort=[("_id", 1)], limit=limit, batch_size=limit
    ).to_list()
    return [(doc["_id"], list(doc["groups"])) for doc in docs]
