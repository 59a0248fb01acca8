"""Large event values kept out of the aggregate's document.

A store rewrites a whole document on every update (FerretDB's SQLite backend visibly so). A group
whose outbox holds a few dozen `GroupMembershipChanged` events of 1,000 contact ids each weighs
megabytes, and every change of the group, and every pull by the relay, rewrites all of it.

A writer may store values above `VALUE_ASIDE_BYTES` in their own documents (collection
`<name>_outbox_values`, `_id` = event id) before the update that commits the events; the outbox
entry then keeps a reference (`aside: true`, no value). The relay reads the values back to
publish, and deletes them after the pull. A value whose commit never happened (a crash or a lost
version race in between) is never referenced, so never published: at worst it is garbage.
"""

from __future__ import annotations

from collections.abc import Sequence

from pymongo.asynchronous.collection import AsyncCollection

from shared.mongo.client import Document, Store

VALUE_ASIDE_BYTES = 4096
ASIDE = "aside"


def values_collection(collection: AsyncCollection[Document]) -> AsyncCollection[Document]:
    return collection.database[f"{collection.name}_outbox_values"]


def _aside_ids(entries: Sequence[Document]) -> list[str]:
    """The event ids of the entries whose value waits aside."""
    return [e["id"] for e in entries if e.get(ASIDE)]


def _large(entry: Document) -> bool:
    return entry.get("value") is not None and len(entry["value"]) > VALUE_ASIDE_BYTES


async def set_values_aside(
    collection: AsyncCollection[Document], entries: Sequence[Document]
) -> list[Document]:
    """Stores the large values aside; returns the entries to append to the outbox."""
    aside = [{"_id": e["id"], "value": e["value"]} for e in entries if _large(e)]
    if not aside:
        return list(entries)
    await values_collection(collection).insert_many(aside, ordered=False)
    return [{**e, "value": None, ASIDE: True} if _large(e) else dict(e) for e in entries]


async def aside_values(
    store: Store, collection: AsyncCollection[Document], entries: Sequence[Document]
) -> dict[str, str]:
    """Event id → value, for the entries whose value was set aside."""
    ids = _aside_ids(entries)
    if not ids:
        return {}
    docs = await store.find_by_ids(values_collection(collection), ids)
    found = {doc["_id"]: doc["value"] for doc in docs}
    missing = [i for i in ids if i not in found]
    if missing:  # stored before their commit and deleted after their pull: never expected
        raise LookupError(f"outbox values missing for events {missing[:5]}")
    return found


async def drop_values(
    store: Store, collection: AsyncCollection[Document], entries: Sequence[Document]
) -> None:
    """Deletes the values of published (and pulled) entries."""
    ids = _aside_ids(entries)
    if ids:
        await store.delete_by_ids(values_collection(collection), ids)


async def drop_unstored_values(
    collection: AsyncCollection[Document], entries: Sequence[Document]
) -> None:
    """Deletes the values set aside for entries whose document was never stored (an insert
    refused as a duplicate): nothing would ever publish them, nor drop them."""
    ids = _aside_ids(entries)
    if ids:
        await values_collection(collection).delete_many({"_id": {"$in": ids}})
