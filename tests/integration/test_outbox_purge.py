"""Documents flagged for purging (replies to commands) leave the store once their events are
published: deleted whole when they hold only what was published, with the values their events
set aside, and never with an event appended after the relay read them (that one waits for the
next pass)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from shared.contracts.imports import ContactRowsImported, RowOutcome
from shared.contracts.topics import IMPORT_REPLIES
from shared.kafka.producer import EventProducer
from shared.kafka.topics import ensure_topics
from shared.mongo.outbox import OUTBOX, PURGE, OutboxWakeup, outbox_entry
from shared.mongo.outbox_values import set_values_aside, values_collection
from shared.mongo.relay import OutboxRelay, RelayLease
from shared.mongo.replies import ReplyOutbox
from shared.settings import ServiceSettings
from tests.support.kafka import TopicTail
from tests.support.scratch import scratch_database


def reply(import_id: str, batch: int, rows: int) -> ContactRowsImported:
    outcomes = [RowOutcome(row=r + 2, outcome="created", contact_id=f"c{r}") for r in range(rows)]
    return ContactRowsImported(import_id=import_id, batch=batch, rows=outcomes)


async def test_replies_are_deleted_once_published_and_a_grown_one_keeps_its_new_event(
    settings: ServiceSettings,
) -> None:
    import_id = uuid.uuid4().hex
    async with scratch_database(settings, f"purge_{import_id[:6]}") as (store, db):
        replies, wakeup = db["replies"], OutboxWakeup()
        outbox = ReplyOutbox(replies, "roster/test", wakeup)
        producer = EventProducer(settings.kafka_bootstrap, client_id="purge-test")
        await producer.start()
        relay = OutboxRelay(
            store=store,
            collections=[replies],
            producer=producer,
            lease=RelayLease(db["leases"], "relay", timedelta(seconds=30)),
            service="test",
            wakeup=wakeup,
            topic_prefix=settings.kafka_topic_prefix,
        )
        topic = settings.kafka_topic_prefix + ContactRowsImported.topic
        prefix = settings.kafka_topic_prefix
        await ensure_topics(
            settings.kafka_bootstrap,
            [IMPORT_REPLIES],
            partitions=1,
            replication_factor=1,
            prefix=prefix,
        )
        try:
            async with TopicTail(settings.kafka_bootstrap, topic) as tail:
                # Along with each reply, a hundred events (an import batch's announcements), one
                # of them large enough to wait aside (shared/mongo/outbox_values.py).
                events = [
                    outbox_entry(
                        reply(import_id, 0, 200 if i == 0 else 1),
                        source="t",
                        subject=f"e{i}",
                        org_id="o",
                        sequence=i,
                    )
                    for i in range(100)
                ]
                along = await set_values_aside(replies, events)
                assert await values_collection(replies).count_documents({}) == 1
                await outbox.answer(reply(import_id, 1, 3), "o", along=along)
                await outbox.answer(reply(import_id, 2, 3), "o")
                # Batch 2's reply gains an event after the relay learnt what it holds.
                late = outbox_entry(
                    reply(import_id, 9, 1), source="t", subject="late", org_id="o", sequence=1
                )
                await replies.update_one({"_id": f"{import_id}:2"}, {"$push": {OUTBOX: late}})

                assert await relay.relay_once(replies) == 100 + 1 + 2  # a search: all of them
                await tail.wait_for(lambda e: e["subject"] == f"{import_id}:2", timeout_s=30)

                left = await replies.find({}).to_list()
                assert [d["_id"] for d in left] == []  # both held exactly what was published
                assert await values_collection(replies).count_documents({}) == 0

                # Batch 3's reply as its writer named it to the relay (one event), and grown by
                # one more before the relay's next pass, which publishes what was named only.
                wakeup.take_search()
                await outbox.answer(reply(import_id, 3, 3), "o")
                await replies.update_one({"_id": f"{import_id}:3"}, {"$push": {OUTBOX: late}})
                published, searched = await relay._pass(search=False)
                assert (published, searched) == (1, False)

                grown = await replies.find_one({"_id": f"{import_id}:3"})
                assert grown is not None and grown[PURGE] is True
                assert [e["id"] for e in grown[OUTBOX]] == [late["id"]]
        finally:
            await producer.stop()
