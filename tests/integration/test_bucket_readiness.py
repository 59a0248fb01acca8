"""What one replica remembers of a broadcast's buckets never hides what another replica wrote
since: a resolution cleared and done again elsewhere (after the first resolver lost its lease)
leaves queued recipients the first replica must still find and send."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime

from services.dispatcher.adapters.broadcast_repository import MongoBroadcastRepository
from services.dispatcher.domain.recipients import Recipient, RecipientBucket, bucket_id
from shared.mongo.client import connect_store
from shared.mongo.outbox import OutboxWakeup
from shared.settings import ServiceSettings


def bucket(broadcast_id: str, n: int, status: str) -> RecipientBucket:
    now = datetime.now(UTC)
    recipients = [
        Recipient(str(uuid.uuid4()), f"+2547000000{i:02}", status,
                  None if status == "queued" else "blocked", now)
        for i in range(3)
    ]  # fmt: skip
    return RecipientBucket(broadcast_id, "org-1", n, recipients, channel_id="channel-1")


async def test_a_bucket_resolved_again_by_another_replica_is_found_open(
    settings: ServiceSettings,
) -> None:
    db_name = f"{settings.mongodb_db_prefix}readiness_{uuid.uuid4().hex[:8]}"
    store = await connect_store(settings.mongodb_url)
    try:
        db = store.client[db_name]
        first = MongoBroadcastRepository(db, OutboxWakeup())
        second = MongoBroadcastRepository(db, OutboxWakeup())
        broadcast_id = str(uuid.uuid4())
        # The first replica starts resolving: every recipient of bucket 1 is skipped.
        await first.add_bucket(bucket(broadcast_id, 1, "skipped"))
        # It loses its lease; the second clears its buckets and resolves again, the contacts
        # having changed meanwhile: bucket 1 now has recipients to send.
        await second.clear_buckets(broadcast_id)
        await second.add_bucket(bucket(broadcast_id, 1, "queued"))
        # Sending begins on the first replica.
        assert await first.has_open_bucket(broadcast_id)
        opened = await first.open_bucket(broadcast_id, datetime.now(UTC))
        assert opened is not None and opened.n == 1
        assert [r.status for r in opened.recipients] == ["queued"] * 3
    finally:
        await store.client.drop_database(db_name)
        await store.close()


async def test_a_finished_broadcast_is_forgotten_and_a_closed_bucket_not_read_again(
    settings: ServiceSettings,
) -> None:
    db_name = f"{settings.mongodb_db_prefix}readiness_{uuid.uuid4().hex[:8]}"
    store = await connect_store(settings.mongodb_url)
    try:
        db = store.client[db_name]
        repository = MongoBroadcastRepository(db, OutboxWakeup())
        broadcast_id = str(uuid.uuid4())
        await repository.add_bucket(bucket(broadcast_id, 1, "skipped"))
        await repository.add_bucket(bucket(broadcast_id, 2, "queued"))
        opened = await repository.open_bucket(broadcast_id, datetime.now(UTC))
        assert opened is not None and opened.n == 2  # bucket 1 read, found closed, passed over
        # Bucket 1, remembered closed, is not read again: deleting it behind the repository's
        # back does not change the answer (reading it would end the walk at a missing bucket).
        await db["recipient_buckets"].delete_one({"_id": bucket_id(broadcast_id, 1)})
        again = await repository.open_bucket(broadcast_id, datetime.now(UTC))
        assert again is not None and again.n == 2
        for recipient in again.recipients:
            recipient.status = "sent"
        assert await repository.save_bucket(again, again.version)
        assert not await repository.has_open_bucket(broadcast_id)
        assert broadcast_id not in repository._readiness
    finally:
        await store.client.drop_database(db_name)
        await store.close()


async def test_counts_come_from_the_buckets_small_copies_and_always_add_up(
    settings: ServiceSettings,
) -> None:
    db_name = f"{settings.mongodb_db_prefix}readiness_{uuid.uuid4().hex[:8]}"
    store = await connect_store(settings.mongodb_url)
    try:
        db = store.client[db_name]
        repository = MongoBroadcastRepository(db, OutboxWakeup())
        broadcast_id = str(uuid.uuid4())
        await repository.add_bucket(bucket(broadcast_id, 1, "skipped"))
        await repository.add_bucket(bucket(broadcast_id, 2, "queued"))
        assert await repository.counts(broadcast_id) == Counter({"skipped": 3, "queued": 3})
        opened = await repository.open_bucket(broadcast_id, datetime.now(UTC))
        assert opened is not None
        opened.recipients[0].status = "sent"
        assert await repository.save_bucket(opened, opened.version)
        assert await repository.counts(broadcast_id) == Counter(
            {"skipped": 3, "queued": 2, "sent": 1}
        )
        # A copy left behind (a crash between the bucket's write and its copy's) is put right
        # when the broadcast ends; buckets stored before copies existed are copied when read.
        await db["bucket_counts"].update_one(
            {"_id": bucket_id(broadcast_id, 2)}, {"$set": {"n_sent": 0, "n_queued": 3}}
        )
        settled = await repository.settle_counts(broadcast_id)
        assert settled == Counter({"skipped": 3, "queued": 2, "sent": 1})
        await db["bucket_counts"].delete_many({})
        assert await repository.counts(broadcast_id) == Counter(
            {"skipped": 3, "queued": 2, "sent": 1}
        )
        assert await db["bucket_counts"].count_documents({}) == 2
    finally:
        await store.client.drop_database(db_name)
        await store.close()
