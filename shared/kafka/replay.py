"""Replaying a dead-letter topic: what a consumer set aside (after its retries, or unreadable)
goes back to the topic it came from, once the cause is fixed. Consumers are idempotent, so a
record handled twice changes nothing; the replay's own consumer group remembers how far it got,
so running it again replays only what was dead-lettered since.

Only the records a given consumer group set aside are replayed (`dlq_consumer_group`), and they
go back with their own headers, without the dead-letter ones; each replayed record carries
`dlq_replayed_from` (the dead-letter offset) for the record.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from shared.contracts.topics import dead_letter_topic
from shared.kafka.producer import EventProducer
from shared.kafka.security import PLAINTEXT, KafkaSecurity, explained_failures
from shared.kafka.topics import admin_client

DLQ_HEADER_PREFIX = "dlq_"


@dataclass
class ReplayReport:
    replayed: int = 0
    skipped: int = 0  # set aside by another consumer group
    by_error: dict[str, int] = field(default_factory=dict)


async def replay_dead_letters(
    bootstrap: str,
    topic: str,
    consumer_group: str,
    *,
    dry_run: bool = False,
    security: KafkaSecurity = PLAINTEXT,
) -> ReplayReport:
    """Everything `consumer_group` dead-lettered from `topic` (the wire name, prefix included)
    and not replayed yet, back onto `topic`; `dry_run` reports without sending or committing."""
    source = dead_letter_topic(topic)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=f"{consumer_group}.dlq-replay",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **security.options(),
    )
    producer = EventProducer(bootstrap, f"{consumer_group}-dlq-replay", security)
    report = ReplayReport()
    with explained_failures(bootstrap, security):
        await consumer.start()
    try:
        if not dry_run:
            await producer.start()
        partitions = [
            TopicPartition(source, p) for p in await _partitions(bootstrap, source, security)
        ]
        if not partitions:
            return report
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        for partition in partitions:
            while await consumer.position(partition) < ends[partition]:
                batch = await consumer.getmany(partition, timeout_ms=2000)
                for record in batch.get(partition, []):
                    await _replay_one(record, topic, consumer_group, producer, report, dry_run)
        if not dry_run:
            await consumer.commit()
        return report
    finally:
        await consumer.stop()
        if not dry_run:
            await producer.stop()


async def _partitions(bootstrap: str, topic: str, security: KafkaSecurity) -> list[int]:
    async with admin_client(bootstrap, security) as admin:
        [described] = await admin.describe_topics([topic])
    return sorted(p["partition"] for p in described["partitions"])


async def _replay_one(
    record: ConsumerRecord[bytes, bytes],
    topic: str,
    consumer_group: str,
    producer: EventProducer,
    report: ReplayReport,
    dry_run: bool,
) -> None:
    headers = {name: bytes(value) for name, value in record.headers or ()}
    if headers.get("dlq_consumer_group", b"").decode() != consumer_group:
        report.skipped += 1
        return
    error = headers.get("dlq_error", b"").decode()[:80]
    report.by_error[error] = report.by_error.get(error, 0) + 1
    report.replayed += 1
    if dry_run:
        return
    kept = [(name, value) for name, value in headers.items() if not name.startswith("dlq_")]
    kept.append(("dlq_replayed_from", f"{dead_letter_topic(topic)}@{record.offset}".encode()))
    await producer.send_raw(topic, record.key, record.value, kept)
