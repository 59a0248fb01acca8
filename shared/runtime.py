"""The plumbing every service starts the same way: topics, store, producer, outbox relay,
consumer, and an app whose lifespan opens and closes them in order.

Each service's `bootstrap.py` says only what is its own: repositories, handlers, workers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Generic, Protocol, TypeVar, cast

from fastapi import FastAPI
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from shared.auth import TokenCodec
from shared.contracts.topics import ALL_TOPICS
from shared.http.app import ReadinessCheck
from shared.kafka.consumer import BulkHandler, ConsumerRunner, EventHandler
from shared.kafka.producer import EventProducer
from shared.kafka.topics import ensure_topics
from shared.logging import get_logger
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
    producer: EventProducer
    wakeup: OutboxWakeup


async def open_plumbing(settings: ServiceSettings, service: str, stack: AsyncExitStack) -> Plumbing:
    await ensure_topics(
        settings.kafka_bootstrap,
        ALL_TOPICS,
        partitions=settings.kafka_partitions,
        replication_factor=settings.kafka_replication_factor,
        prefix=settings.kafka_topic_prefix,
    )
    wakeup = OutboxWakeup()
    store = await connect_store(settings.mongodb_url, [FailedWriteListener(wakeup)])
    stack.push_async_callback(store.close)
    producer = EventProducer(settings.kafka_bootstrap, client_id=f"roster-{service}")
    await producer.start()
    stack.push_async_callback(producer.stop)
    return Plumbing(
        service=service,
        settings=settings,
        store=store,
        db=store.client[settings.database_name(service)],
        producer=producer,
        wakeup=wakeup,
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
    plumbing: Plumbing,
    topics: Sequence[str],
    handler: EventHandler,
    stack: AsyncExitStack,
    bulk_handler: BulkHandler | None = None,
    accepts: Callable[[str], bool] | None = None,
) -> ConsumerRunner:
    settings = plumbing.settings
    consumer = ConsumerRunner(
        bootstrap=settings.kafka_bootstrap,
        group_id=settings.consumer_group(plumbing.service),
        topics=tuple(settings.kafka_topic_prefix + t for t in topics),
        handler=handler,
        producer=plumbing.producer,
        max_attempts=settings.consumer_max_attempts,
        bulk_handler=bulk_handler,
        accepts=accepts,
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
    def consumer(self) -> ConsumerRunner: ...
    @property
    def uow(self) -> Any: ...


Running = TypeVar("Running", bound=RunningService)


@dataclass
class ServiceHandle(Generic[Running]):
    """A built service: its app, and once the app has started, what it runs."""

    app: FastAPI
    settings: ServiceSettings

    @property
    def running(self) -> Running:
        return cast(Running, self.app.state.running)


class AppFactory(Protocol):
    def __call__(
        self,
        *,
        token_codec: TokenCodec,
        readiness: Mapping[str, ReadinessCheck],
        lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]] | None = None,
    ) -> FastAPI: ...


def service_app(
    settings: ServiceSettings,
    create_app: AppFactory,
    start: Callable[[ServiceSettings, AsyncExitStack], Awaitable[RunningService]],
) -> FastAPI:
    """The app: `start` runs in its lifespan (connections depend on what the store turns out
    to be), and its result is `app.state.running`."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            running = await start(settings, stack)
            app.state.running = running
            app.state.uow = running.uow
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

    async def kafka_ready() -> bool:
        running = running_of(app)
        return (
            running is not None
            and running.consumer.running
            and await running.producer.is_reachable()
        )

    app = create_app(
        token_codec=TokenCodec(
            settings.jwt_signing_key, settings.jwt_issuer, settings.jwt_audience
        ),
        readiness={"mongodb": mongo_ready, "kafka": kafka_ready},
        lifespan=lifespan,
    )
    return app
