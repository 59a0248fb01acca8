"""Explicit topic creation at start-up; the broker's auto-create stays off."""

from __future__ import annotations

from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from shared.contracts.topics import TopicSpec
from shared.logging import get_logger

log = get_logger(__name__)

TOPIC_ALREADY_EXISTS = 36


class TopicCreationError(RuntimeError):
    pass


async def ensure_topics(
    bootstrap: str,
    specs: Iterable[TopicSpec],
    *,
    partitions: int,
    replication_factor: int,
    prefix: str = "",
) -> list[str]:
    """Create each topic and its dead-letter twin unless it exists; returns the names created."""
    wanted = [prefix + name for spec in specs for name in (spec.name, spec.dead_letter)]
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=30000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [name for name in wanted if name not in existing]
        if not missing:
            return []
        response = await admin.create_topics(
            [NewTopic(name, partitions, replication_factor) for name in missing],
            timeout_ms=30000,
        )
        for error in response.topic_errors:
            name, code = error[0], error[1]
            if code not in (0, TOPIC_ALREADY_EXISTS):
                raise TopicCreationError(f"creating {name} failed with Kafka error code {code}")
        log.info("kafka_topics_created", topics=missing, partitions=partitions)
        return missing
    finally:
        await admin.close()
