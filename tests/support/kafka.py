"""Reading what services published, with a plain consumer (no consumer group, no commits); and
a test's own topics and producer."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from shared.kafka.producer import EventProducer


class TopicTail:
    """Remembers where a topic ended when created, then reads only what came after."""

    def __init__(self, bootstrap: str, topic: str, **client_options: Any) -> None:
        """`client_options`: a secured cluster's (`KafkaSecurity.options()`)."""
        self.bootstrap = bootstrap
        self.topic = topic
        self.client_options = client_options
        self.records: list[ConsumerRecord] = []
        self._consumer: AIOKafkaConsumer | None = None

    async def __aenter__(self) -> TopicTail:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap, enable_auto_commit=False, **self.client_options
        )
        await consumer.start()
        metadata = await consumer._client.fetch_all_metadata()
        partitions = [
            TopicPartition(self.topic, p) for p in metadata.partitions_for_topic(self.topic) or []
        ]
        if not partitions:
            await consumer.stop()
            raise AssertionError(f"topic {self.topic} does not exist")
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        for tp, offset in ends.items():
            consumer.seek(tp, offset)
        self._consumer = consumer
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._consumer is not None:
            await self._consumer.stop()

    async def poll(self, timeout_s: float = 0.5) -> None:
        assert self._consumer is not None
        batch = await self._consumer.getmany(timeout_ms=int(timeout_s * 1000))
        for records in batch.values():
            self.records.extend(records)

    def envelopes(self) -> list[dict[str, Any]]:
        found = []
        for record in self.records:
            try:
                found.append(json.loads(record.value or b""))
            except ValueError:
                continue  # dead-letter topics hold what could not be parsed
        return found

    async def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], count: int = 1, timeout_s: float = 30
    ) -> list[dict[str, Any]]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while True:
            found = [e for e in self.envelopes() if predicate(e)]
            if len(found) >= count:
                return found
            if loop.time() > deadline:
                raise AssertionError(
                    f"waited {timeout_s}s for {count} matching record(s) on {self.topic}, "
                    f"found {len(found)} of {len(self.records)} read"
                )
            await self.poll()

    async def drain(self, seconds: float) -> None:
        """Keeps reading for a while, to show that nothing more arrives."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while loop.time() < deadline:
            await self.poll(0.3)


Record = tuple[bytes, bytes] | tuple[bytes, bytes, list[tuple[str, bytes]]]


async def produce(
    bootstrap: str, topic: str, records: Sequence[Record], **client_options: Any
) -> None:
    """Each record is (key, value) or (key, value, headers)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", **client_options)
    await producer.start()
    try:
        for key, value, *headers in records:
            await producer.send_and_wait(
                topic, value=value, key=key, headers=headers[0] if headers else None
            )
    finally:
        await producer.stop()


@asynccontextmanager
async def scratch_topic(bootstrap: str, name: str, partitions: int) -> AsyncIterator[str]:
    """A topic of a test's own (and its dead-letter twin), deleted afterwards."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, partitions, 1), NewTopic(f"{name}.dlq", 1, 1)])
        yield name
    finally:
        await admin.delete_topics([name, f"{name}.dlq"])
        await admin.close()


@asynccontextmanager
async def started_producer(bootstrap: str, client_id: str) -> AsyncIterator[EventProducer]:
    producer = EventProducer(bootstrap, client_id=client_id)
    await producer.start()
    try:
        yield producer
    finally:
        await producer.stop()
