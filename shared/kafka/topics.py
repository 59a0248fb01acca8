"""The topics a service needs, at start-up: created where the service may create them (the
broker's auto-create stays off), otherwise checked, naming every one that is missing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from shared.contracts.topics import TopicSpec
from shared.kafka.security import PLAINTEXT, KafkaSecurity, explained_failures
from shared.logging import get_logger

log = get_logger(__name__)

TOPIC_ALREADY_EXISTS = 36


class TopicCreationError(RuntimeError):
    pass


class MissingTopics(RuntimeError):
    """Topic creation is off and the cluster lacks topics the service reads or writes."""

    def __init__(self, missing: list[str]) -> None:
        super().__init__(
            f"{len(missing)} Kafka topic(s) missing, and creating topics is off "
            f"(ROSTER_KAFKA_CREATE_TOPICS=false): {', '.join(missing)}"
        )
        self.missing = missing


def topic_names(specs: Iterable[TopicSpec], prefix: str = "") -> list[str]:
    """Each topic and its dead-letter twin, as named on the wire."""
    return [prefix + name for spec in specs for name in (spec.name, spec.dead_letter)]


@asynccontextmanager
async def admin_client(
    bootstrap: str, security: KafkaSecurity = PLAINTEXT
) -> AsyncIterator[AIOKafkaAdminClient]:
    """An admin client, connected: a cluster that cannot be reached or refuses this client is
    reported at once (`KafkaUnreachable`)."""
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap, request_timeout_ms=30000, **security.options()
    )
    try:
        with explained_failures(bootstrap, security):
            await admin.start()
        yield admin
    finally:
        await admin.close()


async def ensure_topics(
    bootstrap: str,
    specs: Iterable[TopicSpec],
    *,
    partitions: int,
    replication_factor: int,
    prefix: str = "",
    security: KafkaSecurity = PLAINTEXT,
) -> list[str]:
    """Create each topic and its dead-letter twin unless it exists; returns the names created."""
    wanted = topic_names(specs, prefix)
    async with admin_client(bootstrap, security) as admin:
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


async def check_topics(
    bootstrap: str,
    specs: Iterable[TopicSpec],
    *,
    prefix: str = "",
    security: KafkaSecurity = PLAINTEXT,
    settle_s: float = 5.0,
) -> None:
    """Raises `MissingTopics` naming each topic (or dead-letter twin) the cluster lacks. Topics
    created a moment ago may take a moment to be listed: they are waited for up to `settle_s`."""
    wanted = topic_names(specs, prefix)
    deadline = asyncio.get_running_loop().time() + settle_s
    async with admin_client(bootstrap, security) as admin:
        while True:
            existing = set(await admin.list_topics())
            missing = [name for name in wanted if name not in existing]
            if not missing:
                return
            if asyncio.get_running_loop().time() >= deadline:
                raise MissingTopics(missing)
            await asyncio.sleep(0.5)
