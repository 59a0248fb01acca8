"""End-to-end fixtures: services as separate processes, sharing one run's databases and consumer
groups (their own, apart from the in-process services of the other tests)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from shared.settings import ServiceSettings
from tests.support.infra import delete_topics, drop_databases
from tests.support.process import ServiceProcess


@pytest.fixture
async def e2e_env(settings: ServiceSettings) -> AsyncIterator[dict[str, str]]:
    run = uuid.uuid4().hex[:8]
    yield {
        "ROSTER_ENV": "test",
        "ROSTER_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "ROSTER_MONGODB_URL": settings.mongodb_url,
        "ROSTER_MONGODB_DB_PREFIX": f"e2e{run}_",
        "ROSTER_KAFKA_CONSUMER_GROUP_PREFIX": f"e2e-{run}.",
        "ROSTER_KAFKA_TOPIC_PREFIX": f"e2e{run}.",
        "ROSTER_OUTBOX_POLL_INTERVAL_S": "0.05",
        "ROSTER_LOG_JSON": "true",
    }
    await drop_databases(settings.mongodb_url, f"e2e{run}_")
    await delete_topics(settings.kafka_bootstrap, f"e2e{run}.")


def _process(service: str, env: dict[str, str], tmp_path: Path) -> Iterator[ServiceProcess]:
    process = ServiceProcess(service, env, tmp_path / f"{service}.log")
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
def contacts_process(e2e_env: dict[str, str], tmp_path: Path) -> Iterator[ServiceProcess]:
    yield from _process("contacts", e2e_env, tmp_path)


@pytest.fixture
def groups_process(e2e_env: dict[str, str], tmp_path: Path) -> Iterator[ServiceProcess]:
    yield from _process("groups", e2e_env, tmp_path)


@pytest.fixture
def importer_process(e2e_env: dict[str, str], tmp_path: Path) -> Iterator[ServiceProcess]:
    env = {**e2e_env, "ROSTER_IMPORT_DIR": str(tmp_path / "imports")}
    yield from _process("importer", env, tmp_path)


@pytest.fixture
def dispatcher_process(e2e_env: dict[str, str], tmp_path: Path) -> Iterator[ServiceProcess]:
    yield from _process("dispatcher", e2e_env, tmp_path)


@pytest.fixture
def flows_process(e2e_env: dict[str, str], tmp_path: Path) -> Iterator[ServiceProcess]:
    yield from _process("flows", e2e_env, tmp_path)


@pytest.fixture
def accounts_process(e2e_env: dict[str, str], tmp_path: Path) -> Iterator[ServiceProcess]:
    yield from _process("accounts", e2e_env, tmp_path)
