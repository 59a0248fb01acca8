"""The one producer configuration events are published with: acks=all, idempotence on; records
in CloudEvents' structured content mode (see `shared.contracts.envelope`)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer

from shared.contracts.envelope import CONTENT_TYPE, CONTENT_TYPE_HEADER, TYPE_HEADER
from shared.kafka.security import PLAINTEXT, KafkaSecurity, explained_failures
from shared.metrics import EVENTS_PUBLISHED


def record_headers(
    event_type: str, traced: Sequence[tuple[str, bytes]] = ()
) -> list[tuple[str, bytes]]:
    """An event record's headers: structured content mode, the type for routers, and the trace
    context of the change it describes (`traceparent`, `tracestate`) when there is one."""
    return [
        (CONTENT_TYPE_HEADER, CONTENT_TYPE.encode()),
        (TYPE_HEADER, event_type.encode()),
        *traced,
    ]


@dataclass(frozen=True, slots=True)
class OutgoingRecord:
    topic: str
    key: str
    value: bytes
    event_id: str
    event_type: str
    trace_headers: Sequence[tuple[str, bytes]] = ()


class EventProducer:
    def __init__(self, bootstrap: str, client_id: str, security: KafkaSecurity = PLAINTEXT) -> None:
        self._bootstrap, self._security = bootstrap, security
        self._producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap,
            client_id=client_id,
            acks="all",
            enable_idempotence=True,
            linger_ms=5,
            max_batch_size=256 * 1024,
            request_timeout_ms=30000,
            **security.options(),
        )

    async def start(self) -> None:
        with explained_failures(self._bootstrap, self._security):
            await self._producer.start()

    async def stop(self) -> None:
        await self._producer.stop()

    async def publish(self, records: Sequence[OutgoingRecord]) -> None:
        """Sends every record and returns once the broker acknowledged all of them."""
        futures = [
            await self._producer.send(
                r.topic,
                value=r.value,
                key=r.key.encode(),
                headers=record_headers(r.event_type, r.trace_headers),
            )
            for r in records
        ]
        await asyncio.gather(*futures)
        for r in records:
            EVENTS_PUBLISHED.labels(topic=r.topic, type=r.event_type).inc()

    async def is_reachable(self, timeout_s: float = 2.0) -> bool:
        """Readiness: the broker answers a metadata request now."""
        try:
            metadata = await asyncio.wait_for(
                self._producer.client.fetch_all_metadata(), timeout=timeout_s
            )
        except Exception:
            return False
        return bool(metadata.brokers())

    async def send_raw(
        self, topic: str, key: bytes | None, value: bytes | None, headers: list[tuple[str, bytes]]
    ) -> None:
        await self._producer.send_and_wait(topic, value=value, key=key, headers=headers)
