"""What Kafka does to a consumer, on a real broker: a second member of the group joins in the
middle of a stream and leaves again, and a commit fails. Nothing may be lost, nothing applied
twice, no aggregate's events applied out of order, and consumption must go on.

The projection here is the kind every service keeps: per aggregate, the sequence last applied,
and an event applies only if it is the next one. A redelivered event is absorbed (not counted
again); an event lost, or overtaken by a later one of its aggregate, leaves a gap that shows.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaError

from shared.contracts.contacts import ContactCreated
from shared.contracts.envelope import wrap
from shared.kafka.consumer import ConsumerRunner
from shared.kafka.producer import EventProducer, OutgoingRecord
from shared.messagebus import Received
from shared.settings import ServiceSettings
from tests.support.contact_events import contact_created
from tests.support.eventually import eventually
from tests.support.kafka import scratch_topic, started_producer

T = TypeVar("T")
EVENTS = 20_000
AGGREGATES = 400
PARTITIONS = 6


@dataclass
class Projection:
    """Per aggregate, the last sequence applied; events must come in order, each once."""

    applied: dict[str, int] = field(default_factory=dict)
    gaps: list[tuple[str, int, int]] = field(default_factory=list)
    redelivered: int = 0

    def apply(self, event: Received[ContactCreated]) -> None:
        last = self.applied.get(event.subject, 0)
        sequence = event.ordered_sequence
        if sequence <= last:
            self.redelivered += 1  # seen before: a redelivery after a rebalance or a restart
        elif sequence == last + 1:
            self.applied[event.subject] = sequence
        else:
            self.gaps.append((event.subject, last, sequence))

    @property
    def total(self) -> int:
        return sum(self.applied.values())


class ProjectingBus:
    """A service's bus as the runner sees it, applying to the shared projection and counting
    what each consumer handled."""

    handled_types = frozenset({ContactCreated})

    def __init__(self, projection: Projection) -> None:
        self.projection = projection
        self.handled = 0

    async def handle(self, message: object) -> None:
        await self.handle_many([message])

    async def handle_many(self, messages: Sequence[object]) -> None:
        await asyncio.sleep(0.005)  # a handler's round trip: rebalances land mid-stream
        for message in messages:
            assert isinstance(message, Received)
            self.projection.apply(message)
            self.handled += 1


def now(read: Callable[[], T]) -> Callable[[], Awaitable[T]]:
    """A probe for `eventually` of a value kept in memory."""

    async def probe() -> T:
        return read()

    return probe


@pytest.fixture
async def topic(settings: ServiceSettings) -> AsyncIterator[str]:
    name = f"{settings.kafka_topic_prefix}rebalance.{uuid.uuid4().hex[:8]}"
    async with scratch_topic(settings.kafka_bootstrap, name, PARTITIONS) as created:
        yield created


@pytest.fixture
async def producer(settings: ServiceSettings) -> AsyncIterator[EventProducer]:
    async with started_producer(settings.kafka_bootstrap, "rebalance-test") as started:
        yield started


async def produce(producer: EventProducer, topic: str, count: int) -> None:
    """`count` events over AGGREGATES keys, each aggregate's in sequence, in chunks over time
    (a stream, not a backlog), so that members join and leave while it flows."""
    sequences: Counter[str] = Counter()
    chunk: list[OutgoingRecord] = []
    for i in range(count):
        subject = f"contact-{i % AGGREGATES}"
        sequences[subject] += 1
        payload = contact_created(subject, f"Person {i}", "+254700000000")
        envelope = wrap(
            payload, source="test", subject=subject, org_id="o", sequence=sequences[subject]
        )
        value = envelope.model_dump_json().encode()
        chunk.append(OutgoingRecord(topic, subject, value, envelope.id, envelope.type))
        if len(chunk) == 1000:
            await producer.publish(chunk)
            chunk = []
            await asyncio.sleep(0.25)
    await producer.publish(chunk)


def runner(
    settings: ServiceSettings,
    topic: str,
    group: str,
    bus: ProjectingBus,
    producer: EventProducer,
    consumer_factory: Callable[[], AIOKafkaConsumer] | None = None,
) -> ConsumerRunner:
    return ConsumerRunner(
        bootstrap=settings.kafka_bootstrap,
        group_id=group,
        topics=[topic],
        bus=bus,
        producer=producer,
        max_poll_records=200,
        consumer_factory=consumer_factory,
    )


async def test_a_member_joining_and_leaving_mid_stream_loses_and_repeats_nothing(
    settings: ServiceSettings, topic: str, producer: EventProducer
) -> None:
    projection = Projection()
    group = f"{settings.kafka_consumer_group_prefix}rebalance-{uuid.uuid4().hex[:6]}"
    first_bus, second_bus = ProjectingBus(projection), ProjectingBus(projection)
    first = runner(settings, topic, group, first_bus, producer)
    second = runner(settings, topic, group, second_bus, producer)
    await first.start()
    producing = asyncio.create_task(produce(producer, topic, EVENTS))
    try:
        await eventually(now(lambda: first_bus.handled), lambda n: n >= 3_000, timeout_s=120)
        await second.start()  # joins: the partitions are shared out again
        await eventually(now(lambda: second_bus.handled), lambda n: n >= 1_000, timeout_s=120)
        before_leaving = first_bus.handled
        await second.stop()  # leaves: its partitions come back to the first member
        await producing
        await eventually(now(lambda: projection.total), lambda n: n == EVENTS, timeout_s=180)
    finally:
        producing.cancel()
        await first.stop()
        await second.stop()

    assert projection.gaps == []  # nothing lost, nothing out of order within an aggregate
    assert projection.applied == {f"contact-{a}": EVENTS // AGGREGATES for a in range(AGGREGATES)}
    assert second_bus.handled >= 1_000  # both consumed...
    assert first_bus.handled > before_leaving  # ...and the first went on after the second left
    assert first.alive and first_bus.handled + second_bus.handled >= EVENTS


def consumer_options(settings: ServiceSettings, group: str) -> dict[str, Any]:
    """What the runner's own consumer is configured with, for a test's stand-in."""
    return {
        "bootstrap_servers": settings.kafka_bootstrap,
        "group_id": group,
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "max_poll_records": 200,
    }


class FailingCommits(AIOKafkaConsumer):
    """A consumer whose commits fail for a while, as they do for partitions no longer owned."""

    def __init__(self, failures: int, **options: object) -> None:
        super().__init__(**options)
        self.failures = failures

    async def commit(self, offsets: object = None) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise KafkaError("commit failed (injected)")
        await super().commit(offsets)


async def test_a_failed_commit_does_not_stop_consumption(
    settings: ServiceSettings, topic: str, producer: EventProducer
) -> None:
    projection = Projection()
    bus = ProjectingBus(projection)
    group = f"{settings.kafka_consumer_group_prefix}commits-{uuid.uuid4().hex[:6]}"

    def failing() -> AIOKafkaConsumer:
        return FailingCommits(3, **consumer_options(settings, group))

    consumer = runner(settings, topic, group, bus, producer, consumer_factory=failing)
    await consumer.start()
    try:
        await produce(producer, topic, 3_000)
        await eventually(now(lambda: projection.total), lambda n: n == 3_000, timeout_s=120)
    finally:
        await consumer.stop()
    assert projection.gaps == []
    assert consumer.alive


async def test_a_crashed_consuming_loop_is_restarted_and_the_process_stays_alive(
    settings: ServiceSettings, topic: str, producer: EventProducer
) -> None:
    """Not a Kafka error the loop knows how to wait out: a bug, say. The runner starts a new
    consumer (the records not committed come again) instead of leaving the service deaf."""
    projection = Projection()
    bus = ProjectingBus(projection)
    group = f"{settings.kafka_consumer_group_prefix}crash-{uuid.uuid4().hex[:6]}"
    crashes = [RuntimeError("the loop broke (injected)")]

    class CrashingOnce(AIOKafkaConsumer):
        async def getmany(self, *partitions: object, **options: object) -> object:
            if crashes:
                raise crashes.pop()
            return await super().getmany(*partitions, **options)

    def crashing() -> AIOKafkaConsumer:
        return CrashingOnce(**consumer_options(settings, group))

    consumer = runner(settings, topic, group, bus, producer, consumer_factory=crashing)
    await consumer.start()
    try:
        await produce(producer, topic, 2_000)
        await eventually(now(lambda: projection.total), lambda n: n == 2_000, timeout_s=120)
        assert consumer.alive and consumer.running
    finally:
        await consumer.stop()
    assert crashes == [] and projection.gaps == []
