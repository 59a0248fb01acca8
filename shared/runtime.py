"""The plumbing every service starts the same way: topics, store, producer, outbox relay,
consumer, and an app whose lifespan opens and closes them in order.

Each service's `bootstrap.py` says only what is its own: repositories, handlers, workers.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Generic, Protocol, TypeVar, cast

from fastapi import APIRouter, FastAPI
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from shared.auth import TokenVerifier
from shared.catch_up import CatchUp, ProjectionCatchUp
from shared.contracts.topics import ALL_TOPICS
from shared.http.app import create_app
from shared.kafka.consumer import ConsumerRunner, MessageSink
from shared.kafka.producer import EventProducer
from shared.kafka.topics import check_topics, ensure_topics
from shared.logging import get_logger
from shared.messagebus import MessageBus
from shared.mongo.client import Document, Store, connect_store, ping
from shared.mongo.outbox import FailedWriteListener, OutboxWakeup
from shared.mongo.relay import OutboxRelay, RelayLease
from shared.settings import ServiceSettings

log = get_logger(__name__)


@dataclass
class Plumbing:
    """What a running service talks to."""

    service: str
    settings: ServiceSettings
    store: Store
    db: AsyncDatabase[Document]
    # The same database through the API's reading connections (see `Store`).
    reading_db: AsyncDatabase[Document]
    producer: EventProducer
    wakeup: OutboxWakeup
    # Told by the consumer how far it got; requests wait on it for other services' news.
    catch_up: ProjectionCatchUp


async def provide_topics(settings: ServiceSettings, *, create: bool) -> list[str]:
    """Every topic and its dead-letter twin, from the settings: created (those created are
    returned), or checked (`MissingTopics` names any that is missing)."""
    security = settings.kafka_security()
    if create:
        return await ensure_topics(
            settings.kafka_bootstrap,
            ALL_TOPICS,
            partitions=settings.kafka_partitions,
            replication_factor=settings.kafka_replication_factor,
            prefix=settings.kafka_topic_prefix,
            security=security,
        )
    await check_topics(
        settings.kafka_bootstrap, ALL_TOPICS, prefix=settings.kafka_topic_prefix, security=security
    )
    return []


async def open_plumbing(settings: ServiceSettings, service: str, stack: AsyncExitStack) -> Plumbing:
    security = settings.kafka_security()
    await provide_topics(settings, create=settings.kafka_create_topics)
    wakeup = OutboxWakeup()
    store = await connect_store(settings.mongodb_url, [FailedWriteListener(wakeup)])
    stack.push_async_callback(store.close)
    producer = EventProducer(settings.kafka_bootstrap, f"roster-{service}", security)
    await producer.start()
    stack.push_async_callback(producer.stop)
    return Plumbing(
        service=service,
        settings=settings,
        store=store,
        db=store.client[settings.database_name(service)],
        reading_db=store.reading(settings.database_name(service)),
        producer=producer,
        wakeup=wakeup,
        catch_up=ProjectionCatchUp(
            grace_s=settings.catch_up_grace_s, max_wait_s=settings.catch_up_max_s
        ),
    )


async def start_relay(
    plumbing: Plumbing, collections: Sequence[AsyncCollection[Document]], stack: AsyncExitStack
) -> OutboxRelay:
    settings = plumbing.settings
    relay = OutboxRelay(
        store=plumbing.store,
        collections=collections,
        producer=plumbing.producer,
        lease=RelayLease(plumbing.db["relay_leases"], "outbox", ttl=timedelta(seconds=5)),
        service=plumbing.service,
        wakeup=plumbing.wakeup,
        poll_interval_s=settings.outbox_poll_interval_s,
        max_idle_s=settings.outbox_max_idle_s,
        topic_prefix=settings.kafka_topic_prefix,
    )
    if settings.outbox_relay_enabled:
        await relay.start()
        stack.push_async_callback(relay.stop)
    return relay


async def start_consumer(
    plumbing: Plumbing, topics: Sequence[str], bus: MessageSink, stack: AsyncExitStack
) -> ConsumerRunner:
    """Consumes `topics` into the service's bus (records of types it does not handle are
    skipped unread), telling `plumbing.catch_up` how far it got."""
    settings = plumbing.settings
    consumer = ConsumerRunner(
        bootstrap=settings.kafka_bootstrap,
        group_id=settings.consumer_group(plumbing.service),
        topics=tuple(settings.kafka_topic_prefix + t for t in topics),
        bus=bus,
        producer=plumbing.producer,
        max_attempts=settings.consumer_max_attempts,
        progress=plumbing.catch_up,
        security=settings.kafka_security(),
    )
    await consumer.start()
    stack.push_async_callback(consumer.stop)
    return consumer


class RunningService(Protocol):
    """What the readiness checks look at; each service's `Running` has these."""

    @property
    def store(self) -> Store: ...
    @property
    def producer(self) -> EventProducer: ...
    @property
    def consumer(self) -> ConsumerRunner | None:
        """None for a service that consumes nothing (accounts, so far)."""
        ...

    @property
    def relay(self) -> OutboxRelay: ...
    @property
    def uow(self) -> Any: ...
    @property
    def views(self) -> Any: ...
    @property
    def bus(self) -> MessageBus: ...
    @property
    def catch_up(self) -> CatchUp: ...


Running = TypeVar("Running", bound=RunningService)


@dataclass
class ServiceHandle(Generic[Running]):
    """A built service: its app, and once the app has started, what it runs."""

    app: FastAPI
    settings: ServiceSettings

    @property
    def running(self) -> Running:
        return cast(Running, self.app.state.running)


def await_chain(task: asyncio.Task[Any]) -> list[str]:
    """`file:line function` of each coroutine the task is suspended in, outermost first."""
    chain: list[str] = []
    step: Any = task.get_coro()
    while step is not None:
        frame = getattr(step, "cr_frame", None) or getattr(step, "ag_frame", None)
        frame = frame or getattr(step, "gi_frame", None)
        if frame is not None:
            chain.append(f"{frame.f_code.co_filename}:{frame.f_lineno} {frame.f_code.co_name}")
        step = (
            getattr(step, "cr_await", None)
            or getattr(step, "ag_await", None)
            or getattr(step, "gi_yieldfrom", None)
        )
    return chain


@contextmanager
def task_dumps_on_signal(signum: int = signal.SIGUSR1) -> Iterator[None]:
    """`kill -USR1 <pid>` logs where every task of the process is waiting: what a stuck
    consumer, relay or request is blocked on, without stopping anything."""
    loop = asyncio.get_running_loop()

    def dump() -> None:
        for task in asyncio.all_tasks(loop):
            log.info("task_stack", task=task.get_name(), awaiting=await_chain(task))

    try:
        loop.add_signal_handler(signum, dump)
    except (NotImplementedError, RuntimeError):  # not the main thread (tests), or no signals
        yield
        return
    try:
        yield
    finally:
        loop.remove_signal_handler(signum)


def service_app(
    settings: ServiceSettings,
    service: str,
    routers: Sequence[APIRouter],
    start: Callable[[ServiceSettings, AsyncExitStack], Awaitable[RunningService]],
    tokens: TokenVerifier | None = None,
) -> FastAPI:
    """The app: `start` runs in its lifespan (connections depend on what the store turns out
    to be), and its result is `app.state.running`; routes send their commands to the service's
    bus (`app.state.bus`) and read through the unit of work over the reading connections
    (`app.state.uow`)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            stack.enter_context(task_dumps_on_signal())
            running = await start(settings, stack)
            app.state.running = running
            app.state.uow = running.views
            app.state.bus = running.bus
            app.state.catch_up = running.catch_up
            log.info("service_started", ferretdb=running.store.ferretdb)
            yield
            # In-flight requests are finished by the server before this point; the stack then
            # stops workers, the consumer (commits), the relay (finishes its pass), producer and
            # store, in reverse order of start.
        log.info("service_stopped")

    def running_of(app: FastAPI) -> RunningService | None:
        return getattr(app.state, "running", None)

    async def mongo_ready() -> bool:
        running = running_of(app)
        # On its own connection: on FerretDB the others may be busy with a long run of writes
        # or a scan, and readiness must not time out behind them.
        return running is not None and await ping(running.store.prober)

    def consumer_alive() -> bool:
        running = running_of(app)
        return running is None or running.consumer is None or running.consumer.alive

    def relay_alive() -> bool:
        running = running_of(app)
        return running is None or running.relay.alive

    async def kafka_ready() -> bool:
        running = running_of(app)
        return (
            running is not None
            and (running.consumer is None or running.consumer.running)
            and await running.producer.is_reachable()
        )

    app = create_app(
        service=service,
        routers=routers,
        tokens=tokens or settings.accepted_tokens(),
        readiness={"mongodb": mongo_ready},
        reported={"kafka": kafka_ready},
        liveness={"consumer": consumer_alive, "relay": relay_alive},
        lifespan=lifespan,
    )
    return app
