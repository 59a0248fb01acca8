"""End-to-end fixtures: the contacts service as a separate process with its own database."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from shared.settings import ServiceSettings
from tests.support.infra import drop_databases
from tests.support.process import ServiceProcess


@pytest.fixture
async def contacts_process(
    settings: ServiceSettings, tmp_path: Path
) -> AsyncIterator[ServiceProcess]:
    run = uuid.uuid4().hex[:8]
    process = ServiceProcess(
        "contacts",
        {
            "ROSTER_ENV": "test",
            "ROSTER_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
            "ROSTER_MONGODB_URL": settings.mongodb_url,
            "ROSTER_MONGODB_DB_PREFIX": f"e2e{run}_",
            "ROSTER_KAFKA_CONSUMER_GROUP_PREFIX": f"e2e-{run}.",
            "ROSTER_OUTBOX_POLL_INTERVAL_S": "0.05",
            "ROSTER_LOG_JSON": "true",
        },
        tmp_path / "contacts.log",
    )
    try:
        yield process
    finally:
        process.stop()
    await drop_databases(settings.mongodb_url, f"e2e{run}_")
