"""Wires the contacts service: store, Kafka, adapters, the message bus, HTTP app, consumer, outbox
relay and the field-values worker.

Nothing is created at import time; `build_contacts_service` returns a fresh, independent instance,
so tests can run several side by side. Connections are opened when the app starts (lifespan),
because how the store is used depends on what it turns out to be (MongoDB or FerretDB).
`build_bus` is the one place that knows which adapter serves which port: the unit tests call it
with fakes.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass

from fastapi import FastAPI
from pymongo.asynchronous.database import AsyncDatabase

from services.contacts.adapters.contact_collection import SOURCE, ContactCollection
from services.contacts.adapters.contact_imports import MongoContactImports
from services.contacts.adapters.contact_memberships import MongoContactMemberships
from services.contacts.adapters.contact_repository import MongoContactRepository
from services.contacts.adapters.field_repository import MongoFieldRepository
from services.contacts.adapters.group_directory import MongoGroupDirectory
from services.contacts.adapters.import_replies import MongoImportReplies
from services.contacts.adapters.organization_repository import MongoOrganizationRepository
from services.contacts.entrypoints.consumers import CONSUMED_TOPICS
from services.contacts.entrypoints.field_values_worker import FieldValuesWorker
from services.contacts.entrypoints.http.app import ROUTERS
from services.contacts.service_layer.ports import FieldValuesJobs, ImportReplies
from services.contacts.service_layer.registry import COMMAND_HANDLERS, EVENT_HANDLERS
from services.contacts.service_layer.unit_of_work import ContactsUnitOfWork
from shared.catch_up import CatchUp
from shared.kafka.consumer import ConsumerRunner
from shared.kafka.producer import EventProducer
from shared.messagebus import MessageBus
from shared.mongo.client import Document, Store
from shared.mongo.outbox import OutboxWakeup
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


def build_bus(
    uow: ContactsUnitOfWork, replies: ImportReplies, field_values: FieldValuesJobs
) -> MessageBus:
    return MessageBus(
        commands=COMMAND_HANDLERS,
        events=EVENT_HANDLERS,
        dependencies={"uow": uow, "replies": replies, "field_values": field_values},
    )


def unit_of_work(
    db: AsyncDatabase[Document], store: Store, wakeup: OutboxWakeup, settings: ServiceSettings
) -> ContactsUnitOfWork:
    contacts = ContactCollection(db, store, wakeup)
    return ContactsUnitOfWork(
        contacts=MongoContactRepository(contacts),
        imports=MongoContactImports(contacts),
        memberships=MongoContactMemberships(contacts),
        organizations=MongoOrganizationRepository(db, wakeup),
        fields=MongoFieldRepository(db, wakeup),
        groups=MongoGroupDirectory(db),
        max_fields=settings.max_fields_per_org,
    )


@dataclass
class Running:
    """What exists while the service runs."""

    store: Store
    uow: ContactsUnitOfWork  # commands, consumers and workers (the writing connection)
    views: ContactsUnitOfWork  # the API's reads (the reading connections)
    bus: MessageBus
    catch_up: CatchUp
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
    db, store, wakeup = plumbing.db, plumbing.store, plumbing.wakeup
    uow = unit_of_work(db, store, wakeup, settings)
    replies = ReplyOutbox(db["import_replies"], SOURCE, wakeup)
    indexed = (
        ContactCollection(db, store, wakeup),
        MongoFieldRepository(db, wakeup),
        MongoGroupDirectory(db),
        replies,
    )
    for adapter in indexed:
        await adapter.create_indexes()
    field_values = FieldValuesWorker(uow.fields, lambda command: bus.handle(command))
    bus = build_bus(uow, MongoImportReplies(replies), field_values)
    relay = await start_relay(
        plumbing,
        # Replies first: an import's ContactCreated events travel in them, and a contact's
        # later events must not overtake them when the relay searches.
        [replies.collection, db["contacts"], db["fields"], db["organizations"]],
        stack,
    )
    consumer = await start_consumer(plumbing, CONSUMED_TOPICS, bus, stack)
    await field_values.start()
    stack.push_async_callback(field_values.stop)
    return Running(
        store=store,
        uow=uow,
        views=unit_of_work(plumbing.reading_db, store, wakeup, settings),
        bus=bus,
        catch_up=plumbing.catch_up,
        producer=plumbing.producer,
        consumer=consumer,
        relay=relay,
        field_values=field_values,
    )


def build_contacts_service(settings: ServiceSettings) -> ContactsService:
    return ContactsService(app=service_app(settings, SERVICE, ROUTERS, _start), settings=settings)


def build_app(settings: ServiceSettings) -> FastAPI:
    """The entry point `roster serve contacts` uses."""
    return build_contacts_service(settings).app
