"""The event producer builds its own batches (`EventProducer.publish`): on a real broker, every
record must land in the partition Kafka's `send()` chooses for its key, once, with its headers,
and in the order given within its partition, including when one partition's records fill
several batches."""

from __future__ import annotations

import uuid
from collections import defaultdict

from aiokafka import AIOKafkaProducer

from shared.contracts.envelope import CONTENT_TYPE_HEADER, TYPE_HEADER
from shared.kafka.producer import OutgoingRecord
from shared.settings import ServiceSettings
from tests.support.kafka import TopicTail, scratch_topic, started_producer

PARTITIONS = 5
KEYS = 37
# 40 records of 20 kB per key: each partition's share is several times the 256 kB batch size.
PER_KEY = 40
VALUE_SIZE = 20_000


async def partitions_send_chooses(bootstrap: str, topic: str, keys: list[str]) -> dict[str, int]:
    """Where aiokafka's own `send()` puts each key: the reference."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        chosen = {}
        for key in keys:
            sent = await producer.send_and_wait(topic, value=b"probe", key=key.encode())
            chosen[key] = sent.partition
        return chosen
    finally:
        await producer.stop()


async def test_records_land_where_send_puts_them_in_order_and_once(
    settings: ServiceSettings,
) -> None:
    kafka_bootstrap, run = settings.kafka_bootstrap, uuid.uuid4().hex[:8]
    keys = [f"contact-{run}-{k}" for k in range(KEYS)]
    name = f"{settings.kafka_topic_prefix}batches.{run}"
    async with scratch_topic(kafka_bootstrap, name, PARTITIONS) as topic:
        expected_partition = await partitions_send_chooses(kafka_bootstrap, topic, keys)
        assert len(set(expected_partition.values())) > 1, "the keys must spread over partitions"
        records = [
            OutgoingRecord(
                topic=topic,
                key=key,
                value=f"{key}:{n}:".encode() + b"x" * VALUE_SIZE,
                event_id=f"{key}-{n}",
                event_type="ContactUpdated" if n % 2 else "ContactCreated",
                trace_headers=[("traceparent", f"00-{run}-{n}".encode())],
            )
            for n in range(PER_KEY)
            for key in keys
        ]
        async with TopicTail(kafka_bootstrap, topic) as tail:
            async with started_producer(kafka_bootstrap, f"batches-{run}") as producer:
                await producer.publish(records)
            # Until everything arrived, then a while longer: a record sent twice would show.
            while len(tail.records) < len(records):
                before = len(tail.records)
                await tail.poll(2.0)
                if len(tail.records) == before:
                    break
            await tail.drain(1.0)

    assert len(tail.records) == len(records), "every record published exactly once"
    seen: dict[str, list[int]] = defaultdict(list)
    for record in tail.records:
        assert record.key is not None and record.value is not None
        key = record.key.decode()
        assert record.partition == expected_partition[key], key
        value_key, n, _ = record.value.decode().split(":", 2)
        assert value_key == key
        seen[key].append(int(n))
        headers = dict(record.headers)
        expected_type = "ContactUpdated" if int(n) % 2 else "ContactCreated"
        assert headers[TYPE_HEADER] == expected_type.encode()
        assert headers[CONTENT_TYPE_HEADER].startswith(b"application/cloudevents+json")
        assert headers["traceparent"] == f"00-{run}-{n}".encode()
    for key in keys:
        assert seen[key] == list(range(PER_KEY)), f"{key}'s records out of order or missing"
