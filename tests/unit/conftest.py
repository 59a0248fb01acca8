"""The unit tier checks its own reach: when all of a service's unit tests run, every command and
event type its registry maps must have gone through a bus in one of them, so that no handler
is left to the slow tiers alone. A run of only some of the tests checks nothing."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from importlib import import_module
from pathlib import Path

import pytest

from shared.messagebus import MessageBus, message_type

UNIT = Path(__file__).resolve().parent
SERVICES = ("contacts", "groups", "importer", "dispatcher", "console")
SENT: set[type] = set()
DESELECTED: list[pytest.Item] = []


@pytest.fixture(autouse=True, scope="session")
def record_what_the_buses_handle() -> Iterator[None]:
    handle, handle_many = MessageBus.handle, MessageBus.handle_many

    async def recorded_handle(self: MessageBus, message: object) -> object:
        SENT.add(message_type(message))
        return await handle(self, message)

    async def recorded_handle_many(self: MessageBus, messages: Sequence[object]) -> None:
        SENT.update(message_type(m) for m in messages)
        await handle_many(self, messages)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(MessageBus, "handle", recorded_handle)
        patch.setattr(MessageBus, "handle_many", recorded_handle_many)
        yield


def never_sent(service: str) -> list[str]:
    registry = import_module(f"services.{service}.service_layer.registry")
    handled = [*registry.COMMAND_HANDLERS, *registry.EVENT_HANDLERS]
    return sorted(t.__name__ for t in handled if t not in SENT)


def pytest_deselected(items: Sequence[pytest.Item]) -> None:
    DESELECTED.extend(items)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if session.config.option.collectonly or DESELECTED:
        return
    ran = {Path(str(item.path)) for item in session.items}
    for service in SERVICES:
        files = set((UNIT / service).rglob("test_*.py"))
        if not files or not files <= ran or session.testsfailed:
            continue
        missing = never_sent(service)
        if missing:
            reporter = session.config.pluginmanager.get_plugin("terminalreporter")
            if reporter is not None:
                reporter.write_line(
                    f"unit tier: no test of {service} sends {missing} through its bus", red=True
                )
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
