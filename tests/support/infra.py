"""Real Kafka and MongoDB-wire endpoints for the tests, three ways.

1. `ROSTER_KAFKA_BOOTSTRAP` and `ROSTER_MONGODB_URL` set: used as they are.
2. A Docker engine reachable: testcontainers (Kafka in KRaft mode, `mongo:7`).
3. Otherwise the project's own launcher (`deploy/local/infra.sh`): Kafka from Maven Central jars and
   FerretDB built with Go, on loopback. Stopped again at the end if the tests started it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient

from shared.mongo.client import connect_store

REPO_ROOT = Path(__file__).resolve().parents[2]
INFRA = REPO_ROOT / "deploy" / "local" / "infra.sh"


@dataclass(frozen=True)
class Endpoints:
    kafka_bootstrap: str
    mongodb_url: str
    origin: str


def _docker_available() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True, timeout=20).returncode == 0


def _local_running() -> bool:
    out = subprocess.run(["bash", str(INFRA), "status"], capture_output=True, text=True).stdout
    return out.count("running") >= 2 and "stopped" not in out


@contextmanager
def _testcontainers() -> Iterator[Endpoints]:
    from testcontainers.community.kafka import KafkaContainer
    from testcontainers.community.mongodb import MongoDbContainer

    with (
        KafkaContainer("confluentinc/cp-kafka:7.6.0").with_kraft() as kafka,
        MongoDbContainer("mongo:7") as mongo,
    ):
        yield Endpoints(kafka.get_bootstrap_server(), mongo.get_connection_url(), "testcontainers")


@contextmanager
def _local_launcher() -> Iterator[Endpoints]:
    already = _local_running()
    subprocess.run(["bash", str(INFRA), "up"], check=True)
    kafka_port = os.environ.get("ROSTER_KAFKA_PORT", "9092")
    mongo_port = os.environ.get("ROSTER_MONGODB_PORT", "27017")
    try:
        yield Endpoints(
            f"127.0.0.1:{kafka_port}", f"mongodb://127.0.0.1:{mongo_port}/", "local launcher"
        )
    finally:
        if not already:
            subprocess.run(["bash", str(INFRA), "down"], check=False)


@contextmanager
def real_infrastructure() -> Iterator[Endpoints]:
    kafka, mongo = os.environ.get("ROSTER_KAFKA_BOOTSTRAP"), os.environ.get("ROSTER_MONGODB_URL")
    if kafka and mongo:
        yield Endpoints(kafka, mongo, "environment")
    elif _docker_available():
        with _testcontainers() as endpoints:
            yield endpoints
    else:
        with _local_launcher() as endpoints:
            yield endpoints


async def drop_databases(mongodb_url: str, prefix: str) -> None:
    """Drops what a test run or bench created (its own prefix only), once nothing uses it:
    FerretDB stalls dropping a database that a connection still works in."""
    store = await connect_store(mongodb_url)
    try:
        for name in await store.client.list_database_names():
            if name.startswith(prefix):
                await store.client.drop_database(name)
    finally:
        await store.close()


async def delete_topics(bootstrap: str, prefix: str) -> None:
    """Deletes what a test run or bench created in Kafka (its own prefix only: the services
    create every topic under their prefix at start), so that the broker does not collect
    thousands of partitions across runs and slow down every topic created after them."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=30_000)
    await admin.start()
    try:
        names = [name for name in await admin.list_topics() if name.startswith(prefix)]
        if names:
            await admin.delete_topics(names, timeout_ms=30_000)
    finally:
        await admin.close()
