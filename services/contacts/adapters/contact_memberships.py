"""`contact.groups`: the contacts service's projection of the groups service's membership events,
written only by its consumer, in event order per group."""

from __future__ import annotations

from collections.abc import Sequence

from services.contacts.adapters.contact_collection import MEMBERS_ORDER_KEY, ContactCollection
from shared.mongo.client import membership_page


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
        removal for a contact it refused). Version-guarded per contact and group: the contacts
        are read by id first (only this consumer writes `groups` and the membership index),
        and only those the change is not older for are written, each once in `groups` and once in
        the membership index.

        A contact joining that the membership index lists already is not read nor written: an
        import created it in the group and listed it (the index is written after `groups`, so
        a listed contact holds the group). One in `groups` but not listed (a crash between the
        two writes) is listed now."""
        seq_field = f"group_seq.{group_id}"
        store, collection = self._contacts.store, self._contacts.collection
        index = self._contacts.membership_index
        listed = await index.listed(group_id, added) if added else set()
        unlisted = [i for i in added if i not in listed]
        docs = await store.find_by_ids(
            collection,
            [*unlisted, *removed],
            {"org_id": 1, seq_field: 1, MEMBERS_ORDER_KEY: 1, "groups": 1},
        )
        # The change's own sequence again (a redelivery after a crash between the writes below)
        # is written again: every write here is idempotent.
        newer = {
            d["_id"]
            for d in docs
            if d["org_id"] == org_id
            and int((d.get("group_seq") or {}).get(group_id, 0)) <= sequence
        }
        holding = {d["_id"] for d in docs if group_id in (d.get("groups") or ())}
        joining = [i for i in unlisted if i in newer]
        leaving = [i for i in removed if i in newer]
        await store.update_by_ids(
            collection,
            [i for i in joining if i not in holding],
            {"$addToSet": {"groups": group_id}, "$set": {seq_field: sequence}},
        )
        await store.update_by_ids(
            collection, leaving, {"$pull": {"groups": group_id}, "$set": {seq_field: sequence}}
        )
        order_values = {d["_id"]: d.get(MEMBERS_ORDER_KEY) for d in docs}
        await index.add(group_id, joining, order_values)
        await index.remove(group_id, leaving)

    async def remove_group(self, org_id: str, group_id: str) -> None:
        """The group was deleted: no contact is in it any more."""
        await self._contacts.collection.update_many(
            {"org_id": org_id, "groups": group_id}, {"$pull": {"groups": group_id}}
        )
        await self._contacts.membership_index.remove_group(group_id)

    async def memberships(
        self, org_id: str, after: str | None, limit: int
    ) -> list[tuple[str, list[str]]]:
        return await membership_page(self._contacts.collection, org_id, after, limit)
