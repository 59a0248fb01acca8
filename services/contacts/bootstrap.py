"""Wires the contacts service: store, Kafka, handlers, HTTP app, consumer and outbox relay.

Nothing is created at import time; `build_contacts_service` returns a fresh, independent instance,
so tests can run several side by side.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

from fastapi import FastAPI

from services.contacts.adapters.repository import ContactRepository, OrganizationRepository
from services.contacts.entrypoints.consumers import CONSUMED_TOPICS, group_events_handler
from services.contacts.entrypoints.http.app import create_contacts_app
from services.contacts.service_layer.unit_of_work import ContactsUnitOfWork
from shared.auth import TokenCodec
from shared.contracts.topics import CONTACTS, GROUPS, ORGANIZATIONS
from shared.kafka.consumer import ConsumerRunner
from shared.kafka.producer import EventProducer, kafka_reachable
from shared.kafka.topics import ensure_topics
from shared.logging import get_logger
from shared.mongo.client import create_client, ping
from shared.mongo.outbox import OutboxRelay, RelayLease
from shared.settings import ServiceSettings

SERVICE = "contacts"
log = get_logger(__name__)


@dataclass
class ContactsService:
    app: FastAPI
    uow: ContactsUnitOfWork
    settings: ServiceSettings


def build_contacts_service(settings: ServiceSettings) -> ContactsService:
    mongo = create_client(settings.mongodb_url)
    db = mongo[settings.database_name(SERVICE)]
    uow = ContactsUnitOfWork(
        contacts=ContactRepository(db), organizations=OrganizationRepository(db)
    )
    producer = EventProducer(settings.kafka_bootstrap, client_id=f"roster-{SERVICE}")
    relay = OutboxRelay(
        collections=[uow.contacts.collection, uow.organizations.collection],
        producer=producer,
        lease=RelayLease(db["relay_leases"], "outbox", ttl=timedelta(seconds=5)),
        service=SERVICE,
        poll_interval_s=settings.outbox_poll_interval_s,
    )
    consumer = ConsumerRunner(
        bootstrap=settings.kafka_bootstrap,
        group_id=settings.consumer_group(SERVICE),
        topics=CONSUMED_TOPICS,
        handler=group_events_handler(uow),
        producer=producer,
        max_attempts=settings.consumer_max_attempts,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await ensure_topics(
            settings.kafka_bootstrap,
            (CONTACTS, ORGANIZATIONS, GROUPS),
            partitions=settings.kafka_partitions,
            replication_factor=settings.kafka_replication_factor,
        )
        await uow.contacts.create_indexes()
        await producer.start()
        if settings.outbox_relay_enabled:
            await relay.start()
        await consumer.start()
        log.info("service_started")
        try:
            yield
        finally:
            # In-flight requests are finished by the server before this runs.
            await consumer.stop()
            if settings.outbox_relay_enabled:
                await relay.stop()
            await producer.stop()
            await mongo.close()
            log.info("service_stopped")

    async def mongo_ready() -> bool:
        return await ping(mongo)

    async def kafka_ready() -> bool:
        return consumer.running and await kafka_reachable(producer)

    app = create_contacts_app(
        uow=uow,
        token_codec=TokenCodec(
            settings.jwt_signing_key, settings.jwt_issuer, settings.jwt_audience
        ),
        readiness={"mongodb": mongo_ready, "kafka": kafka_ready},
        lifespan=lifespan,
    )
    return ContactsService(app=app, uow=uow, settings=settings)


def build_app(settings: ServiceSettings) -> FastAPI:
    """The entry point `roster serve contacts` uses."""
    return build_contacts_service(settings).app
