"""The console's browser tests: one stack for them all (accounts, contacts, groups, importer,
dispatcher, flows and the console, each its own process, in production token mode: the accounts
service's keys), one Chromium, and a fresh browser context (no cookies) per test. Each test
makes its own organisation, so the tests share nothing but the processes."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, async_playwright

from shared.settings import ServiceSettings
from tests.support.console import (
    CHROMIUM,
    CHROMIUM_ARGS,
    WEB,
    Organization,
    Screen,
    new_organization,
    open_screen,
)
from tests.support.infra import delete_topics, drop_databases
from tests.support.process import ServiceProcess

BEHIND_THE_CONSOLE = ("accounts", "contacts", "groups", "importer", "dispatcher", "flows")


class ConsoleStack:
    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.services = {
            name: ServiceProcess(name, env, logs / f"{name}.log")
            for name in (*BEHIND_THE_CONSOLE, "console")
        }

    def url(self, service: str) -> str:
        return self.services[service].url

    def start(self) -> None:
        jwks = {"ROSTER_AUTH_JWKS_URL": f"{self.url('accounts')}/.well-known/jwks.json"}
        upstreams = {name: self.url(name) for name in BEHIND_THE_CONSOLE}
        extra = {
            "console": {"ROSTER_CONSOLE_UPSTREAMS": json.dumps(upstreams)},
            "importer": {**jwks, "ROSTER_IMPORT_DIR": str(self.logs / "uploads")},
        }
        with ThreadPoolExecutor(len(self.services)) as pool:
            started = [
                pool.submit(process.start, extra.get(name, jwks), 90)
                for name, process in self.services.items()
            ]
            for future in started:
                future.result()

    def stop(self) -> None:
        for process in self.services.values():
            process.stop()


@pytest.fixture(scope="session")
def console_build() -> Path:
    dist = WEB / "dist" / "index.html"
    assert dist.is_file(), "the console is not built: `make test` builds it (npm ci, vite build)"
    return dist


@pytest.fixture(scope="session")
async def console_stack(
    settings: ServiceSettings, console_build: Path, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[ConsoleStack]:
    run = uuid.uuid4().hex[:8]
    env = {
        "ROSTER_ENV": "test",
        "ROSTER_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "ROSTER_MONGODB_URL": settings.mongodb_url,
        "ROSTER_MONGODB_DB_PREFIX": f"ui{run}_",
        "ROSTER_KAFKA_CONSUMER_GROUP_PREFIX": f"ui-{run}.",
        "ROSTER_KAFKA_TOPIC_PREFIX": f"ui{run}.",
        "ROSTER_KAFKA_PARTITIONS": "2",
        "ROSTER_OUTBOX_POLL_INTERVAL_S": "0.05",
        "ROSTER_LOG_JSON": "true",
    }
    stack = ConsoleStack(env, tmp_path_factory.mktemp("console-stack"))
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()
        await drop_databases(settings.mongodb_url, f"ui{run}_")
        await delete_topics(settings.kafka_bootstrap, f"ui{run}.")


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    assert CHROMIUM.exists(), (
        "Chromium is not installed: `make test` installs Debian's package "
        "(deploy/local/chromium.sh)"
    )
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield launched
        await launched.close()


@pytest.fixture
def organization(console_stack: ConsoleStack) -> Iterator[Organization]:
    yield new_organization(console_stack.env, console_stack.url("accounts"))


OpenScreen = Callable[..., Awaitable[Screen]]


@pytest.fixture
async def open_screens(
    console_stack: ConsoleStack, browser: Browser, request: pytest.FixtureRequest
) -> AsyncIterator[OpenScreen]:
    """Opens browser tabs on the console (`name`: a second one's suffix; Playwright's context
    options, such as a phone's viewport), each closed after the test; none may have had
    anything blocked by the Content-Security-Policy."""
    opened: list[Screen] = []

    async def open_one(name: str = "", **options: Any) -> Screen:
        screen = await open_screen(browser, console_stack.url("console"),
                                   request.node.name + name, **options)  # fmt: skip
        opened.append(screen)
        return screen

    yield open_one
    for screen in opened:
        await screen.close()
    for screen in opened:
        assert screen.csp_violations() == []


@pytest.fixture
async def screen(open_screens: OpenScreen) -> Screen:
    """A browser tab on the console, at a desktop's size."""
    return await open_screens()
