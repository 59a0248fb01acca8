"""Wires the contacts service: store, Kafka, handlers, HTTP app, consumer and outbox relay.

Nothing is created at import time; `build_contacts_service` returns a fresh, independent instance,
so tests can run several side by side. Connections are opened when the app starts (lifespan),
because how the store is used depends on what it turns out to be (MongoDB or FerretDB).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

from fastapi import FastAPI

from services.contacts.adapters.field_repository import FieldRepository
from services.contacts.adapters.repository import ContactRepository, OrganizationRepository
from services.contacts.entrypoints.consumers import CONSUMED_TOPICS, group_events_handler
from services.contacts.entrypoints.field_values_worker import FieldValuesWorker
from services.contacts.entrypoints.http.app import create_contacts_app
from services.contacts.service_layer.unit_of_work import ContactsUnitOfWork
from shared.auth import TokenCodec
from shared.contracts.topics import CONTACTS, GROUPS, ORGANIZATIONS
from shared.kafka.consumer import ConsumerRunner
from shared.kafka.producer import EventProducer
from shared.kafka.topics import ensure_topics
from shared.logging import get_logger
from shared.mongo.client import Store, connect_store, ping
from shared.mongo.outbox import OutboxRelay, OutboxWakeup, RelayLease
from shared.settings import ServiceSettings

SERVICE = "contacts"
log = get_logger(__name__)


@dataclass
class Running:
    """What exists while the service runs."""

    store: Store
    uow: ContactsUnitOfWork
    producer: EventProducer
    consumer: ConsumerRunner
    relay: OutboxRelay
    field_values: FieldValuesWorker


@dataclass
class ContactsService:
    app: FastAPI
    settings: ServiceSettings

    @property
    def running(self) -> Running:
        running: Running = self.app.state.running
        return running

    @property
    def uow(self) -> ContactsUnitOfWork:
        return self.running.uow


async def _start(settings: ServiceSettings, stack: AsyncExitStack) -> Running:
    await ensure_topics(
        settings.kafka_bootstrap,
        (CONTACTS, ORGANIZATIONS, GROUPS),
        partitions=settings.kafka_partitions,
        replication_factor=settings.kafka_replication_factor,
    )
    store = await connect_store(settings.mongodb_url)
    stack.push_async_callback(store.close)
    db = store.client[settings.database_name(SERVICE)]
    wakeup = OutboxWakeup()
    uow = ContactsUnitOfWork(
        contacts=ContactRepository(db, wakeup),
        organizations=OrganizationRepository(db, wakeup),
        fields=FieldRepository(db, wakeup),
        max_fields=settings.max_fields_per_org,
    )
    await uow.contacts.create_indexes()
    await uow.fields.create_indexes()

    producer = EventProducer(settings.kafka_bootstrap, client_id=f"roster-{SERVICE}")
    await producer.start()
    stack.push_async_callback(producer.stop)

    relay = OutboxRelay(
        store=store,
        collections=[
            uow.contacts.collection,
            uow.organizations.collection,
            uow.fields.collection,
        ],
        producer=producer,
        lease=RelayLease(db["relay_leases"], "outbox", ttl=timedelta(seconds=5)),
        service=SERVICE,
        wakeup=wakeup,
        poll_interval_s=settings.outbox_poll_interval_s,
        max_idle_s=settings.outbox_max_idle_s,
    )
    if settings.outbox_relay_enabled:
        await relay.start()
        stack.push_async_callback(relay.stop)

    consumer = ConsumerRunner(
        bootstrap=settings.kafka_bootstrap,
        group_id=settings.consumer_group(SERVICE),
        topics=CONSUMED_TOPICS,
        handler=group_events_handler(uow),
        producer=producer,
        max_attempts=settings.consumer_max_attempts,
    )
    await consumer.start()
    stack.push_async_callback(consumer.stop)

    field_values = FieldValuesWorker(uow)
    await field_values.start()
    stack.push_async_callback(field_values.stop)
    return Running(
        store=store,
        uow=uow,
        producer=producer,
        consumer=consumer,
        relay=relay,
        field_values=field_values,
    )


def build_contacts_service(settings: ServiceSettings) -> ContactsService:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            running = await _start(settings, stack)
            app.state.running = running
            app.state.uow = running.uow
            log.info("service_started", ferretdb=running.store.ferretdb)
            yield
            # In-flight requests are finished by the server before this point; the stack then
            # stops the consumer (commits), the relay (finishes its pass), producer and store.
        log.info("service_stopped")

    async def mongo_ready() -> bool:
        running: Running | None = getattr(app.state, "running", None)
        return running is not None and await ping(running.store.client)

    async def kafka_ready() -> bool:
        running: Running | None = getattr(app.state, "running", None)
        return (
            running is not None
            and running.consumer.running
            and await running.producer.is_reachable()
        )

    app = create_contacts_app(
        token_codec=TokenCodec(
            settings.jwt_signing_key, settings.jwt_issuer, settings.jwt_audience
        ),
        readiness={"mongodb": mongo_ready, "kafka": kafka_ready},
        lifespan=lifespan,
    )
    return ContactsService(app=app, settings=settings)


def build_app(settings: ServiceSettings) -> FastAPI:
    """The entry point `roster serve contacts` uses."""
    return build_contacts_service(settings).app
