"""The message bus every service dispatches through: one handler per command, a list per event,
dependencies injected by name, failures propagated, and bulk runs as a first-class path."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from shared.contracts.contacts import ContactCreated, ContactDeleted
from shared.messagebus import Batched, MessageBus, Received, UnprocessableMessage
from tests.support.contact_events import contact_created
from tests.support.messages import received


@dataclass(frozen=True)
class Rename:
    name: str


@dataclass(frozen=True)
class Renamed:
    name: str


def deleted(contact_id: str) -> ContactDeleted:
    return ContactDeleted(contact_id=contact_id, actor="t", deleted_at=datetime.now(UTC))


async def test_a_command_goes_to_its_one_handler_with_its_dependencies_and_answers() -> None:
    seen: list[tuple[str, str]] = []

    async def rename(cmd: Rename, store: list[tuple[str, str]], prefix: str) -> str:
        store.append((prefix, cmd.name))
        return prefix + cmd.name

    bus = MessageBus(
        commands={Rename: rename}, events={}, dependencies={"store": seen, "prefix": "n:"}
    )
    assert await bus.handle(Rename("amina")) == "n:amina"
    assert seen == [("n:", "amina")]


def test_a_handler_asking_for_a_dependency_the_bus_lacks_is_refused_when_built() -> None:
    async def rename(cmd: Rename, missing: object) -> None: ...

    with pytest.raises(TypeError, match="missing"):
        MessageBus(commands={Rename: rename}, events={}, dependencies={})


def test_a_type_cannot_be_both_a_command_and_an_event() -> None:
    async def handler(message: Rename) -> None: ...

    with pytest.raises(TypeError, match="command and as event"):
        MessageBus(commands={Rename: handler}, events={Rename: [handler]}, dependencies={})


async def test_every_handler_of_an_event_runs_and_a_failure_propagates() -> None:
    calls: list[str] = []

    async def first(event: Renamed) -> None:
        calls.append("first")

    async def failing(event: Renamed) -> None:
        calls.append("failing")
        raise RuntimeError("store away")

    bus = MessageBus(commands={}, events={Renamed: [first, failing]}, dependencies={})
    with pytest.raises(RuntimeError, match="store away"):
        await bus.handle(Renamed("x"))
    assert calls == ["first", "failing"]  # the consumer must see it to retry, not commit


async def test_an_unknown_command_is_an_error_and_an_unhandled_received_event_is_ignored() -> None:
    bus = MessageBus(commands={}, events={}, dependencies={})
    with pytest.raises(LookupError):
        await bus.handle(Rename("x"))
    assert await bus.handle(received(deleted("c1"), "o")) is None


async def test_runs_of_one_type_go_to_a_batched_handler_in_one_call_in_order() -> None:
    calls: list[list[str]] = []
    singles: list[str] = []

    async def created(events: Sequence[Received[ContactCreated]]) -> None:
        calls.append([e.payload.contact_id for e in events])

    async def gone(event: Received[ContactDeleted]) -> None:
        singles.append(event.payload.contact_id)

    bus = MessageBus(
        commands={},
        events={ContactCreated: [Batched(created)], ContactDeleted: [gone]},
        dependencies={},
    )
    c = [received(contact_created(f"c{i}", "N", "+254700000001"), "o") for i in range(5)]
    await bus.handle_many([c[0], c[1], received(deleted("d1"), "o"), c[2], c[3]])
    await bus.handle(c[4])  # a lone one takes the same path, as a run of one

    assert calls == [["c0", "c1"], ["c2", "c3"], ["c4"]]
    assert singles == ["d1"]
    assert bus.handled_types == frozenset({ContactCreated, ContactDeleted})


def test_an_ordered_event_without_its_sequence_can_never_be_handled() -> None:
    event = received(deleted("c1"), "o", sequence=None)
    with pytest.raises(UnprocessableMessage):
        _ = event.ordered_sequence
    assert received(deleted("c1"), "o", sequence=7).ordered_sequence == 7
