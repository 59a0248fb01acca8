"""Consumer runner: at-least-once delivery made safe by idempotent handlers.

Offsets are committed only after every record before them was handled (or dead-lettered), so a crash
means redelivery, never loss. An event that cannot be parsed, or that its handler rejects after
bounded retries, goes to the topic's dead-letter twin and consumption continues. Infrastructure
outages (store or broker unreachable) are retried without limit instead: dead-lettering everything
during an outage would lose the order of events.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Awaitable, Callable, Sequence

import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaConnectionError, KafkaError
from pydantic import ValidationError
from pymongo.errors import AutoReconnect, ConnectionFailure, NetworkTimeout

from shared.contracts.envelope import TYPE_PREFIX, EventEnvelope
from shared.contracts.registry import UnknownEventType, parse_payload
from shared.contracts.topics import dead_letter_topic
from shared.kafka.producer import EventProducer
from shared.logging import get_logger
from shared.metrics import EVENTS_CONSUMED

log = get_logger(__name__)

EventHandler = Callable[[EventEnvelope], Awaitable[None]]
# Handles a run of events at once where it can (say, many ContactCreated of a bulk import) and
# returns how many of the leading events it handled; the rest go one by one through the handler.
BulkHandler = Callable[[list[EventEnvelope]], Awaitable[int]]

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionFailure,
    AutoReconnect,
    NetworkTimeout,
    KafkaConnectionError,
    TimeoutError,
)


class PoisonEvent(Exception):
    """The record can never be handled: malformed JSON, unknown type, or invalid payload."""


def decode_record(value: bytes | None) -> EventEnvelope:
    if value is None:
        raise PoisonEvent("record has no value")
    try:
        envelope = EventEnvelope.model_validate(json.loads(value))
        parse_payload(envelope)
    except (ValueError, ValidationError, UnknownEventType) as exc:
        raise PoisonEvent(str(exc)[:500]) from exc
    return envelope


def _event_type(record: ConsumerRecord) -> str:
    for name, value in record.headers or ():
        if name == "ce_type":
            return bytes(value).decode(errors="replace").removeprefix(TYPE_PREFIX)
    return ""


class ConsumerRunner:
    def __init__(
        self,
        *,
        bootstrap: str,
        group_id: str,
        topics: Sequence[str],
        handler: EventHandler,
        producer: EventProducer,
        max_attempts: int = 3,
        retry_backoff_s: float = 0.2,
        bulk_handler: BulkHandler | None = None,
        accepts: Callable[[str], bool] | None = None,
    ) -> None:
        self._accepts = accepts
        self._bootstrap = bootstrap
        self._group_id = group_id
        self._topics = list(topics)
        self._handler = handler
        self._bulk = bulk_handler
        self._producer = producer
        self._max_attempts = max_attempts
        self._backoff = retry_backoff_s
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        self._consumer = AIOKafkaConsumer(
            *self._topics,
            bootstrap_servers=self._bootstrap,
            group_id=self._group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            max_poll_records=500,
        )
        await self._consumer.start()
        self._task = asyncio.create_task(self._run(), name=f"consumer:{self._group_id}")

    async def stop(self) -> None:
        """Finishes the batch in hand, commits what was handled, then leaves the group."""
        self._stopping.set()
        if self._task is not None:
            await self._task
        if self._consumer is not None:
            await self._consumer.stop()

    async def _run(self) -> None:
        assert self._consumer is not None
        consumer = self._consumer
        while not self._stopping.is_set():
            try:
                batch = await consumer.getmany(timeout_ms=300, max_records=500)
            except KafkaError as exc:
                log.warning("consumer_poll_failed", error=str(exc))
                await asyncio.sleep(1)
                continue
            for tp, records in batch.items():
                handled = await self._handle_partition(records)
                if handled is not None:
                    await self._commit(consumer, tp, handled.offset + 1)

    async def _handle_partition(self, records: list[ConsumerRecord]) -> ConsumerRecord | None:
        """Handles records in order; returns the last one handled (its offset can be committed)."""
        last: ConsumerRecord | None = None
        done = await self._handle_in_bulk(records)
        if done:
            last, records = records[done - 1], records[done:]
        for record in records:
            if not await self._handle_record(record):
                break
            last = record
        return last

    async def _handle_in_bulk(self, records: list[ConsumerRecord]) -> int:
        """How many leading records the bulk handler took; on any failure none, and every record
        goes through the one-by-one path with its retries and dead letters."""
        if self._bulk is None or self._accepts is not None or len(records) < 2:
            return 0
        envelopes: list[EventEnvelope] = []
        for record in records:
            try:
                envelopes.append(decode_record(record.value))
            except PoisonEvent:
                break
        try:
            done = await self._bulk(envelopes) if len(envelopes) > 1 else 0
        except Exception as exc:
            log.warning("consumer_bulk_failed", error=repr(exc), records=len(envelopes))
            return 0
        for record in records[:done]:
            EVENTS_CONSUMED.labels(self._group_id, record.topic, "handled").inc()
        return done

    async def _handle_record(self, record: ConsumerRecord) -> bool:
        """True once the record is handled or dead-lettered; False only when stopping mid-outage."""
        if self._accepts is not None and not self._accepts(_event_type(record)):
            return True  # not for this consumer: skipped without decoding
        try:
            envelope = decode_record(record.value)
        except PoisonEvent as exc:
            await self._dead_letter(record, f"poison: {exc}", attempts=1)
            return True
        attempt = 0
        with structlog.contextvars.bound_contextvars(
            event_id=envelope.id, event_type=envelope.event_type, org_id=envelope.orgid
        ):
            while True:
                attempt += 1
                try:
                    await self._handler(envelope)
                    EVENTS_CONSUMED.labels(self._group_id, record.topic, "handled").inc()
                    return True
                except TRANSIENT_ERRORS as exc:
                    log.warning("consumer_transient_failure", error=str(exc), attempt=attempt)
                    if self._stopping.is_set():
                        return False
                    await asyncio.sleep(min(5.0, self._backoff * attempt))
                except Exception as exc:
                    if attempt >= self._max_attempts:
                        log.error("consumer_handler_failed", error=repr(exc), attempts=attempt)
                        await self._dead_letter(record, repr(exc), attempts=attempt)
                        return True
                    await asyncio.sleep(self._backoff * attempt * (1 + random.random()))

    async def _dead_letter(self, record: ConsumerRecord, error: str, attempts: int) -> None:
        headers = [
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

    async def _commit(self, consumer: AIOKafkaConsumer, tp: TopicPartition, offset: int) -> None:
        try:
            await consumer.commit({tp: offset})
        except CommitFailedError as exc:
            # The partition moved to another member during a rebalance; it will redeliver from the
            # last committed offset and idempotent handlers make that harmless.
            log.info("consumer_commit_skipped", partition=str(tp), error=str(exc))
