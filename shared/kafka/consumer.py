"""Consumer runner: at-least-once delivery made safe by idempotent handlers.

A record is decoded and validated once (`decode_record`), then handed to the service's message
bus; records of types the bus does not handle are skipped by their type header, unread.

Offsets are committed only after every record before them was handled (or dead-lettered), so a
crash means redelivery, never loss. A record that cannot be decoded, or that its handler rejects
after bounded retries, goes to the topic's dead-letter twin and consumption continues.
Infrastructure outages (store or broker unreachable) are retried without limit instead:
dead-lettering everything during an outage would lose the order of events.

What Kafka does to a consumer is part of the job:
- A rebalance (`_RebalanceListener`): the run of records in hand is finished, what was handled
  is committed, and the rest of the batch is dropped (its partitions' positions are reset to
  the committed offsets, so records still owned come again). A commit that fails, for a
  partition no longer owned or otherwise, is logged and consumption goes on: the partition's
  next owner redelivers from the last committed offset, which idempotent handlers absorb.
- A crash of the consuming loop: the runner restarts it on a new Kafka consumer (with a growing
  pause), so a service never sits alive but deaf. `alive` stays true while the supervision
  runs; a service's `/healthz` fails when it does not, so the orchestrator restarts the pod.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import random
import time
from collections.abc import Callable, Collection, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.errors import KafkaConnectionError, KafkaError
from pydantic import ValidationError, create_model
from pymongo.errors import AutoReconnect, ConnectionFailure, NetworkTimeout

from shared.contracts.envelope import TYPE_HEADER, TYPE_PREFIX, EventEnvelope, EventPayload
from shared.contracts.registry import UnknownEventType, only_version_of, payload_class
from shared.contracts.topics import dead_letter_topic
from shared.kafka.producer import EventProducer
from shared.kafka.security import PLAINTEXT, KafkaSecurity, explained_failures
from shared.logging import get_logger
from shared.messagebus import Received, UnprocessableMessage
from shared.metrics import (
    CONSUMER_COMMIT_FAILURES,
    CONSUMER_LAG,
    CONSUMER_RESTARTS,
    EVENTS_CONSUMED,
)
from shared.tracing import consuming_span, context_of_headers

log = get_logger(__name__)

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionFailure,
    AutoReconnect,
    NetworkTimeout,
    KafkaConnectionError,
    TimeoutError,
)
MIN_RESTART_PAUSE_S = 1.0
MAX_RESTART_PAUSE_S = 30.0
# How often the lag gauges are brought up to date (a position per partition each time).
LAG_REPORT_EVERY_S = 1.0


class MessageSink(Protocol):
    """What the runner hands decoded records to: a service's message bus."""

    @property
    def handled_types(self) -> frozenset[type]: ...

    async def handle(self, message: object) -> object: ...

    async def handle_many(self, messages: Sequence[object]) -> None: ...


class ConsumerProgress(Protocol):
    """Told when records were handled (and how long after it was written the oldest was),
    when a poll found nothing new while this consumer owns every partition it reads (caught
    up with everything published so far), and when it can no longer tell (a rebalance, a
    restart, partitions owned by another member)."""

    def handled(self, lag_s: float = 0.0) -> None: ...

    def caught_up(self) -> None: ...

    def lost(self) -> None: ...


def decode_record(value: bytes | None, event_type: str | None = None) -> Received[object]:
    """The record's envelope, parsed once, and its payload validated against the contract.

    `event_type` (the record's type header), when it names a type of one version, lets the
    envelope and its payload be parsed from the JSON in one pass, which costs about half of
    parsing the envelope and validating its data again. The result is the same: a record whose
    attributes contradict the header, or that the single pass refuses, is decoded the general
    way, which gives the answer (or the error) the header played no part in."""
    if value is None:
        raise UnprocessableMessage("record has no value")
    cls = only_version_of(event_type) if event_type is not None else None
    if cls is not None:
        try:
            typed = _typed_envelope(cls).model_validate_json(value)
        except ValidationError:
            pass
        else:
            if typed.event_type == cls.event_type and typed.schemaversion == cls.schema_version:
                return _received(typed, typed.data)
    try:
        envelope = EventEnvelope.model_validate_json(value)
        payload = payload_class(envelope.event_type, envelope.schemaversion).model_validate(
            envelope.data
        )
    except (ValueError, ValidationError, UnknownEventType) as exc:
        raise UnprocessableMessage(str(exc)[:500]) from exc
    return _received(envelope, payload)


@functools.cache
def _typed_envelope(cls: type[EventPayload]) -> type[EventEnvelope]:
    """The envelope whose `data` is `cls` itself, parsed with it."""
    return create_model(f"{cls.__name__}Envelope", __base__=EventEnvelope, data=(cls, ...))


def _received(envelope: EventEnvelope, payload: object) -> Received[object]:
    return Received(
        payload=payload,
        org_id=envelope.orgid,
        id=envelope.id,
        subject=envelope.subject,
        sequence=envelope.sequence,
        time=envelope.time,
    )


def _event_type(record: ConsumerRecord) -> str | None:
    for name, value in record.headers or ():
        if name == TYPE_HEADER:
            return bytes(value).decode(errors="replace").removeprefix(TYPE_PREFIX)
    return None


@dataclass
class _Decoded:
    """A partition's records, in order: those to handle with their messages; the others are
    skipped (not for this service) or unreadable (dead-lettered)."""

    record: ConsumerRecord
    message: Received[object] | None = None
    error: str | None = None


@dataclass
class _Partitions:
    """Offsets handled but not committed yet, per partition."""

    pending: dict[TopicPartition, int] = field(default_factory=dict)

    def handled(self, record: ConsumerRecord) -> None:
        self.pending[TopicPartition(record.topic, record.partition)] = record.offset + 1

    def take(self, only: Collection[TopicPartition] | None = None) -> dict[TopicPartition, int]:
        taken = {tp: o for tp, o in self.pending.items() if only is None or tp in only}
        for tp in taken:
            del self.pending[tp]
        return taken


class _RebalanceListener(ConsumerRebalanceListener):
    def __init__(self, runner: ConsumerRunner) -> None:
        self._runner = runner

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        await self._runner.partitions_revoked(set(revoked))

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        self._runner.partitions_assigned(set(assigned))


class ConsumerRunner:
    def __init__(
        self,
        *,
        bootstrap: str,
        group_id: str,
        topics: Sequence[str],
        bus: MessageSink,
        producer: EventProducer,
        max_attempts: int = 3,
        retry_backoff_s: float = 0.2,
        max_poll_records: int = 500,
        progress: ConsumerProgress | None = None,
        consumer_factory: Callable[[], AIOKafkaConsumer] | None = None,
        security: KafkaSecurity = PLAINTEXT,
    ) -> None:
        self._bootstrap = bootstrap
        self._security = security
        self._group_id = group_id
        self._topics = list(topics)
        self._bus = bus
        self._handled_types = bus.handled_types
        self._handled_names = frozenset(
            name for t in self._handled_types if (name := getattr(t, "event_type", None))
        )
        self._producer = producer
        self._max_attempts = max_attempts
        self._backoff = retry_backoff_s
        self._max_poll_records = max_poll_records
        self._progress = progress
        self._make_consumer = consumer_factory or self._default_consumer
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._partitions = _Partitions()
        # Cleared while a run of records is in hand; a revocation waits for it.
        self._idle = asyncio.Event()
        self._idle.set()
        # Bumped by every revocation: a batch fetched before it is not handled further.
        self._generation = 0
        self._rebalancing = False
        self._serving = False
        self._pause = MIN_RESTART_PAUSE_S
        self._lag_reported = 0.0

    @property
    def running(self) -> bool:
        """Consuming now (readiness): started, and not pausing after a crash."""
        return self.alive and self._serving

    @property
    def alive(self) -> bool:
        """The supervision runs (liveness): false only if it ended while not asked to stop."""
        if self._task is None:
            return True
        return not self._task.done() or self._stopping.is_set()

    def _default_consumer(self) -> AIOKafkaConsumer:
        return AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap,
            group_id=self._group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            max_poll_records=self._max_poll_records,
            **self._security.options(),
        )

    async def start(self) -> None:
        await self._open()
        self._task = asyncio.create_task(self._supervise(), name=f"consumer:{self._group_id}")

    async def stop(self) -> None:
        """Finishes the run in hand, commits what was handled, then leaves the group."""
        self._stopping.set()
        if self._task is not None:
            await self._task
        await self._close()

    async def _open(self) -> None:
        consumer = self._make_consumer()
        consumer.subscribe(self._topics, listener=_RebalanceListener(self))
        with explained_failures(self._bootstrap, self._security):
            await consumer.start()
        self._consumer = consumer
        self._serving = True

    async def _close(self) -> None:
        """Offsets handled and not committed are dropped: those records come again."""
        consumer, self._consumer = self._consumer, None
        self._serving = False
        self._partitions = _Partitions()
        if self._progress is not None:
            self._progress.lost()
        if consumer is not None:
            with contextlib.suppress(Exception):
                await consumer.stop()

    async def _supervise(self) -> None:
        """Restarts a crashed loop on a new consumer, after a pause that grows while crashes
        follow each other and starts afresh once the consumer polls again."""
        while not self._stopping.is_set():
            try:
                if self._consumer is None:
                    await self._open()
                await self._consume()
            except Exception as exc:
                CONSUMER_RESTARTS.labels(self._group_id).inc()
                pause = self._pause
                log.error("consumer_crashed", error=repr(exc), restart_in_s=pause, exc_info=exc)
                await self._close()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), timeout=pause)
                self._pause = min(pause * 2, MAX_RESTART_PAUSE_S)

    async def _consume(self) -> None:
        consumer = self._consumer
        assert consumer is not None
        while not self._stopping.is_set():
            try:
                batch = await consumer.getmany(timeout_ms=300, max_records=self._max_poll_records)
            except KafkaError as exc:
                log.warning("consumer_poll_failed", error=str(exc))
                await asyncio.sleep(1)
                continue
            self._pause = MIN_RESTART_PAUSE_S  # polling again: a later crash starts afresh
            await self._report_lag(consumer, batch)
            if not batch:
                if self._progress is not None:
                    if await self._caught_up(consumer):
                        self._progress.caught_up()
                    else:
                        self._progress.lost()
                continue
            generation = self._generation
            for records in batch.values():
                if self._generation != generation or self._stopping.is_set():
                    break  # revoked meanwhile: positions were reset to what was committed
                await self._handle_partition(records, generation)
            await self._commit(self._partitions.take())

    async def _report_lag(
        self, consumer: AIOKafkaConsumer, batch: dict[TopicPartition, list[ConsumerRecord]]
    ) -> None:
        """Each partition's lag, at most once a second: the records from the first one not
        handled yet to the partition's end. The batch just fetched is not handled yet; beyond
        it, what was fetched before was handled (the loop handles a batch before it fetches)."""
        now = time.monotonic()
        if now - self._lag_reported < LAG_REPORT_EVERY_S:
            return
        self._lag_reported = now
        for tp in consumer.assignment():
            end = consumer.highwater(tp)
            if end is None:
                continue
            fetched = batch.get(tp)
            start = fetched[0].offset if fetched else await consumer.position(tp)
            CONSUMER_LAG.labels(self._group_id, tp.topic, str(tp.partition)).set(
                max(0, end - start)
            )

    def _forget_lag(self, partitions: Collection[TopicPartition]) -> None:
        """Partitions gone to another member: their lag is that member's to report."""
        for tp in partitions:
            with contextlib.suppress(KeyError):
                CONSUMER_LAG.remove(self._group_id, tp.topic, str(tp.partition))

    async def _caught_up(self, consumer: AIOKafkaConsumer) -> bool:
        """An empty poll means nothing new for this service at all only when this consumer
        owns every partition it reads (other members' partitions may still bring news), no
        rebalance is under way (the assignment is then still the old one), and it has read
        each partition to its end as the broker last reported it (an empty poll also comes
        from fetches that fail, say on a topic whose leaders are still being elected)."""
        if self._rebalancing:
            return False
        assigned = consumer.assignment()
        total = sum(len(consumer.partitions_for_topic(t) or ()) for t in self._topics)
        if total == 0 or len(assigned) < total:
            return False
        for tp in assigned:
            end = consumer.highwater(tp)
            if end is None or await consumer.position(tp) < end:
                return False
        return True

    async def partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        """Waits for the run in hand, commits what was handled of the revoked partitions, and
        makes the loop drop the rest of its batch."""
        self._generation += 1
        self._rebalancing = True
        if self._progress is not None:
            self._progress.lost()
        await self._idle.wait()
        await self._commit(self._partitions.take(revoked))
        self._forget_lag(revoked)
        log.info("consumer_partitions_revoked", partitions=len(revoked))

    def partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        self._rebalancing = False
        log.info("consumer_partitions_assigned", partitions=len(assigned))

    def _interrupted(self, generation: int) -> bool:
        return self._stopping.is_set() or self._generation != generation

    async def _handle_partition(self, records: list[ConsumerRecord], generation: int) -> None:
        items = [self._decode(record) for record in records]
        start = 0
        while start < len(items) and not self._interrupted(generation):
            end = start
            while end < len(items) and items[end].error is None:
                end += 1
            if end > start and not await self._handle_run(items[start:end], generation):
                return
            if end < len(items):  # unreadable: dead-lettered where it stands
                item = items[end]
                self._idle.clear()
                try:
                    await self._dead_letter(item.record, f"poison: {item.error}", attempts=1)
                finally:
                    self._idle.set()
                self._partitions.handled(item.record)
                end += 1
            start = end

    def _decode(self, record: ConsumerRecord) -> _Decoded:
        event_type = _event_type(record)
        if event_type is not None and event_type not in self._handled_names:
            return _Decoded(record)  # not for this service: skipped unread
        try:
            message = decode_record(record.value, event_type)
        except UnprocessableMessage as exc:
            return _Decoded(record, error=str(exc))
        if type(message.payload) not in self._handled_types:
            return _Decoded(record)
        return _Decoded(record, message)

    async def _handle_run(self, items: list[_Decoded], generation: int) -> bool:
        """Handles a run of readable records in one go, or, if that fails, one by one with
        retries and dead letters. False when interrupted before the end (stopping, revoked)."""
        messages = [i.message for i in items if i.message is not None]
        self._idle.clear()
        try:
            if messages:
                with self._span(items):
                    await self._bus.handle_many(messages)
        except Exception as exc:
            log.warning("consumer_run_failed", error=repr(exc), records=len(messages))
        else:
            for item in items:
                self._partitions.handled(item.record)
            self._count_handled(items)
            return True
        finally:
            self._idle.set()
        for item in items:
            if self._interrupted(generation):
                return False
            self._idle.clear()
            try:
                if not await self._handle_one(item, generation):
                    return False
            finally:
                self._idle.set()
            self._partitions.handled(item.record)
        return True

    def _span(self, items: list[_Decoded]) -> AbstractContextManager[None]:
        """The handling of records as one span, in the trace of the changes they describe."""
        first = items[0].record
        attributes: dict[str, Any] = {
            "messaging.consumer.group.name": self._group_id,
            "messaging.destination.partition.id": str(first.partition),
            "messaging.kafka.offset": first.offset,
        }
        if len(items) == 1 and items[0].message is not None:
            attributes["messaging.message.id"] = items[0].message.id
            attributes["roster.event_type"] = type(items[0].message.payload).__name__
        return consuming_span(
            first.topic, [context_of_headers(i.record.headers) for i in items], attributes
        )

    def _count_handled(self, items: list[_Decoded]) -> None:
        written = [i.message.time for i in items if i.message is not None and i.message.time]
        for item in items:
            if item.message is not None:
                EVENTS_CONSUMED.labels(self._group_id, item.record.topic, "handled").inc()
        if self._progress is not None:
            lag = (datetime.now(UTC) - min(written)).total_seconds() if written else 0.0
            self._progress.handled(max(0.0, lag))

    async def _handle_one(self, item: _Decoded, generation: int) -> bool:
        """True once the record is handled or dead-lettered; False when interrupted during an
        outage (the record stays uncommitted and comes again)."""
        if item.message is None:
            return True
        envelope = item.message
        attempt = 0
        with structlog.contextvars.bound_contextvars(
            event_id=envelope.id, event_type=type(envelope.payload).__name__, org_id=envelope.org_id
        ):
            while True:
                attempt += 1
                try:
                    with self._span([item]):
                        await self._bus.handle(envelope)
                    self._count_handled([item])
                    return True
                except UnprocessableMessage as exc:
                    await self._dead_letter(item.record, f"poison: {exc}", attempts=attempt)
                    return True
                except TRANSIENT_ERRORS as exc:
                    log.warning("consumer_transient_failure", error=str(exc), attempt=attempt)
                    if self._interrupted(generation):
                        return False
                    await asyncio.sleep(min(5.0, self._backoff * attempt))
                except Exception as exc:
                    if attempt >= self._max_attempts:
                        log.error("consumer_handler_failed", error=repr(exc), attempts=attempt)
                        await self._dead_letter(item.record, repr(exc), attempts=attempt)
                        return True
                    await asyncio.sleep(self._backoff * attempt * (1 + random.random()))

    async def _dead_letter(self, record: ConsumerRecord, error: str, attempts: int) -> None:
        """The record as it was (its own headers kept: still a CloudEvent in structured mode),
        with where it came from and why it was set aside."""
        headers = [
            *[(name, bytes(value)) for name, value in record.headers or ()],
            ("dlq_original_topic", record.topic.encode()),
            ("dlq_original_partition", str(record.partition).encode()),
            ("dlq_original_offset", str(record.offset).encode()),
            ("dlq_consumer_group", self._group_id.encode()),
            ("dlq_attempts", str(attempts).encode()),
            ("dlq_error", error[:1000].encode()),
        ]
        await self._producer.send_raw(
            dead_letter_topic(record.topic), record.key, record.value, headers
        )
        EVENTS_CONSUMED.labels(self._group_id, record.topic, "dead_lettered").inc()
        log.warning("event_dead_lettered", topic=record.topic, offset=record.offset, error=error)

    async def _commit(self, offsets: dict[TopicPartition, int]) -> None:
        """Any failure is logged, never raised: the offsets stay uncommitted, and whoever owns
        the partitions next redelivers from the last commit (idempotent handlers)."""
        consumer = self._consumer
        if not offsets or consumer is None:
            return
        try:
            await consumer.commit(offsets)
        except (KafkaError, ValueError) as exc:
            CONSUMER_COMMIT_FAILURES.labels(self._group_id).inc()
            log.info("consumer_commit_skipped", partitions=len(offsets), error=repr(exc))
