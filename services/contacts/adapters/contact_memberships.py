"""`contact.groups`: the contacts service's projection of the groups service's membership events,
written only by its consumer, in event order per group."""

from __future__ import annotations

from collections.abc import Sequence

from services.contacts.adapters.contact_collection import ContactCollection
from shared.mongo.client import Document, membership_page


class MongoContactMemberships:
    def __init__(self, contacts: ContactCollection) -> None:
        self._contacts = contacts

    async def apply(
        self,
        org_id: str,
        group_id: str,
        sequence: int,
        added: Sequence[str],
        removed: Sequence[str],
    ) -> None:
        """Applied as announced: the groups service decides who may join (and announces a
        removal for a contact it refused). Version-guarded per contact and group. The guard is
        in the filter where `_id` filters are indexed; stock FerretDB scans the collection for
        any filter beyond `_id`, so there the contacts are read by id first (only this consumer
        writes `groups`)."""
        seq_field = f"group_seq.{group_id}"
        changes: list[tuple[Sequence[str], Document]] = [
            (added, {"$addToSet": {"groups": group_id}, "$set": {seq_field: sequence}}),
            (removed, {"$pull": {"groups": group_id}, "$set": {seq_field: sequence}}),
        ]
        store, collection = self._contacts.store, self._contacts.collection
        if store.ids_indexed:
            guard: Document = {
                "org_id": org_id,
                "$or": [{seq_field: {"$exists": False}}, {seq_field: {"$lt": sequence}}],
            }
            for ids, change in changes:
                if ids:
                    await store.update_by_ids(collection, ids, change, guard)
            return
        docs = await store.find_by_ids(collection, [*added, *removed], {"org_id": 1, seq_field: 1})
        newer = {
            d["_id"]
            for d in docs
            if d["org_id"] == org_id and int((d.get("group_seq") or {}).get(group_id, 0)) < sequence
        }
        for ids, change in changes:
            await store.update_by_ids(collection, [i for i in ids if i in newer], change)

    async def remove_group(self, org_id: str, group_id: str) -> None:
        """The group was deleted: no contact is in it any more."""
        await self._contacts.collection.update_many(
            {"org_id": org_id, "groups": group_id}, {"$pull": {"groups": group_id}}
        )

    async def memberships(
        self, org_id: str, after: str | None, limit: int
    ) -> list[tuple[str, list[str]]]:
        return await membership_page(self._contacts.collection, org_id, after, limit)
