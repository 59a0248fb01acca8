"""Contacts' conversations on MongoDB: `messages`, one document per message (its id is the
dispatcher's message id), read through the `contact_history` index: one contact's messages
newest first, a page bounded by its size on MongoDB and on the local store alike.

An inbound message is stored with the commands it leads to in its outbox (a STOP's
`ChangeContactConsent`), so they are published if and only if the message was recorded, once;
and with what it still owes once the contacts service has applied them (`follow_up`: the
confirmation, the welcome, the group), published from the same document when settled.
Inbound messages whose sender is not known here yet wait in `unattributed` (a small
collection, searched by phone whenever contacts are created) and move to `messages` once the
sender is: inserted there first, then taken out, so a crash between the two only repeats the
move (which the `_id` makes a no-op)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import datetime

from pymongo import DESCENDING, IndexModel, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from services.flows.domain.conversation import ConversationMessage, OutboundChange
from services.flows.domain.follow_ups import ConsentFollowUp
from shared.contracts.envelope import EventPayload
from shared.mongo.client import (
    Document,
    Store,
    bulk_write_in_chunks,
    ensure_indexes,
    insert_unless_present,
)
from shared.mongo.outbox import OUTBOX, OUTBOX_INDEX, OutboxWakeup, outbox_entry

SOURCE = "roster/flows"
WAITING_INDEX = IndexModel([("org_id", 1), ("phone", 1)], name="sender_phone")
INDEXES = [
    IndexModel(
        [("org_id", 1), ("contact_id", 1), ("at", DESCENDING), ("_id", DESCENDING)],
        name="contact_history",
    ),
    # Set only while a keyword's follow-up is owed (`follow_ups`): contacts' events look
    # here for their contact, and find nothing almost always.
    IndexModel([("follow_up_contact", 1)], name="follow_ups"),
]


class MongoConversationRepository:
    def __init__(self, db: AsyncDatabase[Document], store: Store, wakeup: OutboxWakeup) -> None:
        self.messages = db["messages"]
        self._wakeup = wakeup
        self.unattributed = db["unattributed"]
        self._store = store

    async def create_indexes(self) -> None:
        await ensure_indexes(self.messages, [*INDEXES, OUTBOX_INDEX])
        await ensure_indexes(self.unattributed, [WAITING_INDEX])

    async def record_inbound(
        self,
        messages: Sequence[ConversationMessage],
        commands: Mapping[str, list[EventPayload]],
        follow_ups: Mapping[str, ConsentFollowUp],
    ) -> set[str]:
        known = [m for m in messages if m.contact_id is not None]
        docs = [_inbound_document(m) for m in known]
        entries: dict[str, list[Document]] = {}
        for doc, message in zip(docs, known, strict=True):
            if (follow_up := follow_ups.get(message.id)) is not None:
                doc["follow_up"] = asdict(follow_up)
                doc["follow_up_contact"] = follow_up.contact_id
            entries[message.id] = [
                outbox_entry(c, source=SOURCE, subject=message.contact_id or "",
                             org_id=message.org_id, sequence=None)
                for c in commands.get(message.id) or []
            ]  # fmt: skip
            if entries[message.id]:
                doc[OUTBOX] = entries[message.id]
        unrouted: set[str] = set()
        if docs:
            for doc in docs:
                doc["routed"] = False
            refused = await insert_unless_present(self.messages, docs)
            for i, doc in enumerate(docs):  # the relay publishes what was stored now
                if i not in refused and entries[doc["_id"]]:
                    self._wakeup.written(self.messages, doc["_id"], entries[doc["_id"]])
            unrouted = {d["_id"] for i, d in enumerate(docs) if i not in refused}
            again = [docs[i]["_id"] for i in refused]
            if again:  # stored before: routed unless a crash came first
                cursor = self.messages.find({"_id": {"$in": again}, "routed": False}, {"_id": 1})
                unrouted |= {doc["_id"] async for doc in cursor}
        waiting = [_inbound_document(m) for m in messages if m.contact_id is None]
        if waiting:
            await insert_unless_present(self.unattributed, waiting)
        return unrouted

    async def mark_routed(self, message_ids: Sequence[str]) -> None:
        if message_ids:
            await self.messages.update_many(
                {"_id": {"$in": list(message_ids)}}, {"$set": {"routed": True}}
            )

    async def pending_follow_ups(
        self, org_id: str, contact_ids: Sequence[str]
    ) -> list[ConsentFollowUp]:
        docs = self.messages.find(
            {"follow_up_contact": {"$in": list(contact_ids)}}, {"follow_up": 1, "org_id": 1}
        )
        found = [ConsentFollowUp(**doc["follow_up"]) async for doc in docs
                 if doc["org_id"] == org_id]  # fmt: skip
        return sorted(found, key=lambda f: (f.at, f.message_id))

    async def settle_follow_up(
        self, follow_up: ConsentFollowUp, commands: Sequence[EventPayload]
    ) -> None:
        entries = [outbox_entry(c, source=SOURCE, subject=follow_up.contact_id,
                                org_id=follow_up.org_id, sequence=None)
                   for c in commands]  # fmt: skip
        result = await self.messages.update_one(
            {"_id": follow_up.message_id, "follow_up_contact": follow_up.contact_id},
            {"$unset": {"follow_up": "", "follow_up_contact": ""},
             "$push": {OUTBOX: {"$each": entries}}},
        )  # fmt: skip
        if result.modified_count == 1 and entries:
            self._wakeup.written(self.messages, follow_up.message_id, entries)

    async def waiting_for(self, org_id: str, phones: Sequence[str]) -> list[ConversationMessage]:
        query = {"org_id": org_id, "phone": {"$in": list(phones)}}
        docs = self.unattributed.find(query, sort=[("at", 1), ("_id", 1)])
        return [_message(doc) async for doc in docs]

    async def forget_waiting(self, message_ids: Sequence[str]) -> None:
        if message_ids:
            await self.unattributed.delete_many({"_id": {"$in": list(message_ids)}})

    async def record_outbound(self, changes: Sequence[OutboundChange]) -> None:
        """New messages inserted in one command; the rest moved forward in one bulk write,
        each update conditional on the stored rank (so a late or repeated event is a no-op)."""
        merged = _merged(changes)
        if not merged:
            return
        docs = [_document(newest, said) for newest, said in merged.values()]
        refused = await insert_unless_present(self.messages, docs)
        updates: list[UpdateOne] = []
        for i in sorted(refused):
            newest, said = merged[docs[i]["_id"]]
            if said is not None and said.text is not None:
                updates.append(UpdateOne({"_id": said.message_id},
                                         {"$set": {"text": said.text, "at": said.at}}))  # fmt: skip
            moved = {"status": newest.status, "rank": newest.rank, "updated_at": newest.at,
                     "reason": newest.reason}  # fmt: skip
            updates.append(
                UpdateOne({"_id": newest.message_id, "rank": {"$lt": newest.rank}}, {"$set": moved})
            )
        await bulk_write_in_chunks(self.messages, updates, self._store.write_batch)

    async def page(
        self, org_id: str, contact_id: str, before: tuple[datetime, str] | None, limit: int
    ) -> list[ConversationMessage]:
        query: Document = {"org_id": org_id, "contact_id": contact_id}
        if before is not None:
            at, message_id = before
            query["$or"] = [{"at": {"$lt": at}}, {"at": at, "_id": {"$lt": message_id}}]
        docs = self.messages.find(
            query, sort=[("at", DESCENDING), ("_id", DESCENDING)], limit=limit
        )
        return [_message(doc) async for doc in docs]

    async def has_messages(self, org_id: str, contact_id: str) -> bool:
        found = await self.messages.find_one({"org_id": org_id, "contact_id": contact_id})
        return found is not None

    async def forget_contacts(self, org_id: str, contact_ids: Sequence[str]) -> None:
        await self.messages.delete_many(
            {"org_id": org_id, "contact_id": {"$in": list(contact_ids)}}
        )


def _merged(
    changes: Sequence[OutboundChange],
) -> dict[str, tuple[OutboundChange, OutboundChange | None]]:
    """By message: its furthest change in the run, and the one that said what it said."""
    merged: dict[str, tuple[OutboundChange, OutboundChange | None]] = {}
    for change in changes:
        newest, said = merged.get(change.message_id, (change, None))
        if change.rank >= newest.rank:
            newest = change
        if change.text is not None:
            said = change
        merged[change.message_id] = (newest, said)
    return merged


def _document(newest: OutboundChange, said: OutboundChange | None) -> Document:
    return {
        "_id": newest.message_id,
        "org_id": newest.org_id,
        "contact_id": newest.contact_id,
        "direction": "out",
        "channel_id": newest.channel_id,
        "broadcast_id": newest.broadcast_id,
        "status": newest.status,
        "rank": newest.rank,
        "reason": newest.reason,
        "text": said.text if said else None,
        "at": said.at if said else newest.at,
        "updated_at": newest.at,
    }


def _inbound_document(message: ConversationMessage) -> Document:
    return {
        "_id": message.id,
        "org_id": message.org_id,
        "contact_id": message.contact_id,
        "direction": "in",
        "channel_id": message.channel_id,
        "status": message.status,
        "text": message.text,
        "kind": message.kind,
        "phone": message.phone,
        "at": message.at,
        "updated_at": message.updated_at,
    }


def _message(doc: Document) -> ConversationMessage:
    return ConversationMessage(
        id=doc["_id"],
        org_id=doc["org_id"],
        contact_id=doc["contact_id"],
        direction=doc["direction"],
        channel_id=doc["channel_id"],
        status=doc["status"],
        at=doc["at"],
        updated_at=doc["updated_at"],
        text=doc.get("text"),
        broadcast_id=doc.get("broadcast_id"),
        reason=doc.get("reason"),
        phone=doc.get("phone"),
        kind=doc.get("kind", "text"),
    )
