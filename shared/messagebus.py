"""A service's message bus: the one place that maps each message to what handles it.

Commands (imperative: `CreateContact`, or `ImportContactRows` from Kafka) have exactly one
handler; events (past tense: `ContactCreated`) have a list, possibly empty. HTTP routes,
Kafka consumers and background workers all hand their messages to the bus; nothing else calls
a handler, so what a service does in reaction to what is read off one registry per service
(`service_layer/registry.py`).

Handlers are plain async functions: the message first, then their dependencies by parameter
name (`uow`, `replies`, ...), which the bus injects once, when it is built (cosmicpython's
bootstrap, without its module-level defaults): tests build the same bus with fakes.

Two differences from the model, both because messages here come from Kafka:
- An event handler's failure propagates (cosmicpython logs it and goes on): the consumer must
  see it to retry the record, or dead-letter it, instead of committing past it. Handlers are
  idempotent, so a retry that repeats an earlier handler of the same event changes nothing.
- Bulk is a first-class path, not a second one: a handler registered as `Batched` takes a list
  of messages of its type, and the bus hands it every consecutive run of that type (a run of one
  for a single message), so a bulk import's thousand `ContactCreated` take one call and a lone
  `ContactCreated` takes the same code.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from itertools import groupby
from typing import Any, Generic, TypeVar

import structlog

P = TypeVar("P")
Handler = Callable[..., Awaitable[Any]]


class UnprocessableMessage(Exception):
    """The message can never be handled, however often it is retried: malformed, of an unknown
    type, or breaking the contract (an ordered event without its sequence). A consumer
    dead-letters it at once."""


@dataclass(frozen=True, slots=True)
class Received(Generic[P]):
    """A message as it arrived over Kafka: its payload, validated once against the contract,
    and the envelope attributes handlers need."""

    payload: P
    org_id: str
    id: str
    subject: str
    sequence: int | None = None
    time: datetime | None = None  # when the change happened (the envelope's `time`)

    @property
    def ordered_sequence(self) -> int:
        """The aggregate version the event produced; projections drop what is older."""
        if self.sequence is None:
            name = type(self.payload).__name__
            raise UnprocessableMessage(f"{name} without a sequence cannot be ordered")
        return self.sequence


@dataclass(frozen=True, slots=True)
class Batched:
    """Registers a handler that takes a list of messages of its type (see the module doc)."""

    handler: Handler


Registration = Handler | Batched


def message_type(message: object) -> type:
    """What a message is dispatched on: a received message's payload type, else its own."""
    return type(message.payload) if isinstance(message, Received) else type(message)


@dataclass(frozen=True, slots=True)
class _Bound:
    call: Handler
    batched: bool
    name: str


def _bind(registration: Registration, dependencies: Mapping[str, object]) -> _Bound:
    """The handler with its dependencies filled in by parameter name (all but the first)."""
    batched = isinstance(registration, Batched)
    handler = registration.handler if isinstance(registration, Batched) else registration
    names = list(inspect.signature(handler).parameters)[1:]
    missing = [n for n in names if n not in dependencies]
    if missing:
        raise TypeError(f"{handler.__qualname__} needs {missing}, which the bus was not given")
    call = partial(handler, **{n: dependencies[n] for n in names})
    return _Bound(call, batched, handler.__qualname__)


class MessageBus:
    def __init__(
        self,
        *,
        commands: Mapping[type, Registration],
        events: Mapping[type, Sequence[Registration]],
        dependencies: Mapping[str, object],
    ) -> None:
        both = set(commands) & set(events)
        if both:
            raise TypeError(f"registered as command and as event: {sorted(map(str, both))}")
        self._commands = {t: _bind(h, dependencies) for t, h in commands.items()}
        self._events = {t: [_bind(h, dependencies) for h in hs] for t, hs in events.items()}

    @property
    def handled_types(self) -> frozenset[type]:
        """Every message type something here reacts to (consumers skip the rest unread)."""
        return frozenset(self._commands) | frozenset(t for t, hs in self._events.items() if hs)

    async def handle(self, message: object) -> Any:
        """Handles one message; a command's handler's result is returned (None for events)."""
        kind = message_type(message)
        command = self._commands.get(kind)
        if command is not None:
            with structlog.contextvars.bound_contextvars(message=kind.__name__):
                result = await command.call([message] if command.batched else message)
            return result
        if not isinstance(message, Received) and kind not in self._events:
            raise LookupError(f"no handler for {kind.__name__}")
        await self._publish(kind, [message])
        return None

    async def handle_many(self, messages: Sequence[object]) -> None:
        """Handles messages in order, each consecutive run of one type as a run: a batched
        handler takes the run in one call, any other handler one message at a time."""
        for kind, run in _runs(messages):
            command = self._commands.get(kind)
            if command is None:
                await self._publish(kind, run)
            elif command.batched:
                await command.call(run)
            else:
                for message in run:
                    await command.call(message)

    async def _publish(self, kind: type, run: list[object]) -> None:
        for handler in self._events.get(kind, ()):
            with structlog.contextvars.bound_contextvars(message=kind.__name__):
                if handler.batched:
                    await handler.call(run)
                else:
                    for message in run:
                        await handler.call(message)


def _runs(messages: Sequence[object]) -> Iterator[tuple[type, list[object]]]:
    for kind, run in groupby(messages, key=message_type):
        yield kind, list(run)
