"""The figures operators alert on, read from the metrics registry the way Prometheus scrapes
them: a consumer group's lag per partition (the batch in hand counts until it is handled), and
the age of the oldest event waiting in an outbox (it grows while Kafka refuses, and is back to
zero once the event is out)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta

import pytest
from aiokafka.errors import KafkaConnectionError
from prometheus_client import REGISTRY

from shared.contracts.contacts import ContactCreated
from shared.contracts.envelope import wrap
from shared.kafka.consumer import ConsumerRunner
from shared.kafka.producer import EventProducer, OutgoingRecord
from shared.mongo.outbox import OutboxWakeup, outbox_entries, outbox_update
from shared.mongo.relay import OutboxRelay, RelayLease
from shared.settings import ServiceSettings
from tests.support.contact_events import contact_created
from tests.support.eventually import eventually
from tests.support.kafka import TopicTail, scratch_topic, started_producer
from tests.support.scratch import scratch_database

RECORDS = 50


@pytest.fixture
async def topic(settings: ServiceSettings) -> AsyncIterator[str]:
    name = f"{settings.kafka_topic_prefix}metrics.{uuid.uuid4().hex[:8]}"
    async with scratch_topic(settings.kafka_bootstrap, name, partitions=1) as created:
        yield created


@pytest.fixture
async def producer(settings: ServiceSettings) -> AsyncIterator[EventProducer]:
    async with started_producer(settings.kafka_bootstrap, "metrics-test") as started:
        yield started


class GatedBus:
    """Handles nothing until the gate opens: the records fetched stay in hand."""

    handled_types = frozenset({ContactCreated})

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.handled = 0

    async def handle(self, message: object) -> None:
        await self.handle_many([message])

    async def handle_many(self, messages: Sequence[object]) -> None:
        await self.gate.wait()
        self.handled += len(messages)


def sample(name: str, labels: dict[str, str]) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


async def test_the_lag_counts_every_record_not_handled_yet(
    settings: ServiceSettings, topic: str, producer: EventProducer
) -> None:
    records = []
    for i in range(RECORDS):
        envelope = wrap(
            contact_created(f"c{i}", "P", "+254700000000"),
            source="t",
            subject=f"c{i}",
            org_id="o",
            sequence=1,
        )
        records.append(
            OutgoingRecord(
                topic, f"c{i}", envelope.model_dump_json().encode(), envelope.id, envelope.type
            )
        )
    await producer.publish(records)
    group = f"metrics-{uuid.uuid4().hex[:8]}"
    bus = GatedBus()
    runner = ConsumerRunner(
        bootstrap=settings.kafka_bootstrap,
        group_id=group,
        topics=[topic],
        bus=bus,
        producer=producer,
    )
    labels = {"group": group, "topic": topic, "partition": "0"}
    lag = "roster_consumer_lag_records"
    await runner.start()
    try:
        # Fetched, in hand, not handled: all of them are still the group's lag.
        await eventually(lambda: _read(sample(lag, labels)), lambda v: v == RECORDS)
        bus.gate.set()
        await eventually(lambda: _read(bus.handled), lambda n: n == RECORDS)
        await eventually(lambda: _read(sample(lag, labels)), lambda v: v == 0)
    finally:
        await runner.stop()


class KafkaAway(EventProducer):
    """The producer port while the cluster refuses every send, until `back` is set."""

    def __init__(self, bootstrap: str) -> None:
        super().__init__(bootstrap, client_id="metrics-away")
        self.back = False

    async def publish(self, records: Sequence[OutgoingRecord]) -> None:
        if not self.back:
            raise KafkaConnectionError("the cluster is away")
        await super().publish(records)


async def test_the_oldest_waiting_event_ages_while_kafka_is_away_and_is_gone_once_published(
    settings: ServiceSettings, topic: str
) -> None:
    service = f"metrics-{uuid.uuid4().hex[:6]}"
    async with scratch_database(settings, service) as (store, db):
        contacts, wakeup = db["contacts"], OutboxWakeup()
        producer = KafkaAway(settings.kafka_bootstrap)
        await producer.start()
        relay = OutboxRelay(
            store=store,
            collections=[contacts],
            producer=producer,
            lease=RelayLease(db["leases"], "relay", timedelta(seconds=30)),
            service=service,
            wakeup=wakeup,
            poll_interval_s=0.05,
        )
        age = "roster_outbox_oldest_event_age_seconds"
        await relay.start()
        try:
            await eventually(lambda: _read(sample(age, {"service": service})), lambda v: v == 0)
            payload = contact_created("c1", "P", "+254700000000")
            entries = outbox_entries([payload], source="t", subject="c1", org_id="o", sequence=1)
            # The event is published to the test's topic, not the contacts one.
            entries = [{**e, "topic": topic} for e in entries]
            await contacts.update_one(
                {"_id": "c1"}, outbox_update(entries, {"name": "P"}), upsert=True
            )
            wakeup.written(contacts, "c1", entries)

            first = await eventually(
                lambda: _read(sample(age, {"service": service})), lambda v: (v or 0) > 0.5
            )
            later = await eventually(
                lambda: _read(sample(age, {"service": service})), lambda v: (v or 0) > first + 1
            )
            assert later is not None
            async with TopicTail(settings.kafka_bootstrap, topic) as tail:
                producer.back = True
                await tail.wait_for(lambda e: e["subject"] == "c1", timeout_s=30)
            await eventually(lambda: _read(sample(age, {"service": service})), lambda v: v == 0)
        finally:
            producer.back = True
            await relay.stop()
            await producer.stop()


async def _read(value: float | int | None) -> float | int | None:
    return value
