"""Wires the contacts service: store, Kafka, handlers, HTTP app, consumer and outbox relay.

Nothing is created at import time; `build_contacts_service` returns a fresh, independent instance,
so tests can run several side by side. Connections are opened when the app starts (lifespan),
because how the store is used depends on what it turns out to be (MongoDB or FerretDB).
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass

from fastapi import FastAPI

from services.contacts.adapters.field_repository import FieldRepository
from services.contacts.adapters.group_directory import GroupDirectory
from services.contacts.adapters.repository import (
    SOURCE,
    ContactRepository,
    OrganizationRepository,
)
from services.contacts.entrypoints.consumers import CONSUMED_TOPICS, contacts_consumer
from services.contacts.entrypoints.field_values_worker import FieldValuesWorker
from services.contacts.entrypoints.http.app import create_contacts_app
from services.contacts.service_layer.unit_of_work import ContactsUnitOfWork
from shared.kafka.consumer import ConsumerRunner
from shared.kafka.producer import EventProducer
from shared.mongo.client import Store
from shared.mongo.relay import OutboxRelay
from shared.mongo.replies import ReplyOutbox
from shared.runtime import (
    ServiceHandle,
    open_plumbing,
    service_app,
    start_consumer,
    start_relay,
)
from shared.settings import ServiceSettings

SERVICE = "contacts"


@dataclass
class Running:
    """What exists while the service runs."""

    store: Store
    uow: ContactsUnitOfWork
    producer: EventProducer
    consumer: ConsumerRunner
    relay: OutboxRelay
    field_values: FieldValuesWorker


class ContactsService(ServiceHandle[Running]):
    @property
    def uow(self) -> ContactsUnitOfWork:
        return self.running.uow


async def _start(settings: ServiceSettings, stack: AsyncExitStack) -> Running:
    plumbing = await open_plumbing(settings, SERVICE, stack)
    db, wakeup = plumbing.db, plumbing.wakeup
    uow = ContactsUnitOfWork(
        contacts=ContactRepository(db, wakeup, plumbing.store),
        organizations=OrganizationRepository(db, wakeup),
        fields=FieldRepository(db, wakeup),
        groups=GroupDirectory(db),
        max_fields=settings.max_fields_per_org,
    )
    await uow.contacts.create_indexes()
    await uow.fields.create_indexes()
    await uow.groups.create_indexes()
    replies = ReplyOutbox(db["import_replies"], SOURCE, wakeup)
    await replies.create_indexes()
    relay = await start_relay(
        plumbing,
        # Replies first: an import's ContactCreated events travel in them, and a contact's
        # later events must not overtake them when the relay searches.
        [
            replies.collection,
            uow.contacts.collection,
            uow.organizations.collection,
            uow.fields.collection,
        ],
        stack,
    )
    consumer = await start_consumer(
        plumbing, CONSUMED_TOPICS, contacts_consumer(uow, replies), stack
    )
    field_values = FieldValuesWorker(uow)
    await field_values.start()
    stack.push_async_callback(field_values.stop)
    return Running(
        store=plumbing.store,
        uow=uow,
        producer=plumbing.producer,
        consumer=consumer,
        relay=relay,
        field_values=field_values,
    )


def build_contacts_service(settings: ServiceSettings) -> ContactsService:
    return ContactsService(
        app=service_app(settings, create_contacts_app, _start), settings=settings
    )


def build_app(settings: ServiceSettings) -> FastAPI:
    """The entry point `roster serve contacts` uses."""
    return build_contacts_service(settings).app
