"""Wires the dispatcher: store, Kafka, adapters, the message bus, HTTP app and consumer.
Nothing is created at import time; `build_bus` is the one place that knows which adapter
serves which port (the unit tests call it with fakes)."""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass
from functools import partial

from fastapi import FastAPI
from pymongo.asynchronous.database import AsyncDatabase

from services.dispatcher.adapters.audience_projection import MongoAudienceProjection
from services.dispatcher.adapters.channel_repository import MongoChannelRepository
from services.dispatcher.adapters.secret_box import FernetSecretBox
from services.dispatcher.entrypoints.consumers import CONSUMED_TOPICS
from services.dispatcher.entrypoints.http.app import ROUTERS
from services.dispatcher.service_layer.ports import SecretBox
from services.dispatcher.service_layer.registry import COMMAND_HANDLERS, EVENT_HANDLERS
from services.dispatcher.service_layer.unit_of_work import DispatcherUnitOfWork
from shared.catch_up import CatchUp
from shared.kafka.consumer import ConsumerRunner
from shared.kafka.producer import EventProducer
from shared.messagebus import MessageBus
from shared.mongo.client import Document, Store
from shared.runtime import ServiceHandle, open_plumbing, service_app, start_consumer
from shared.settings import DEV_CHANNEL_SECRET_KEY, ServiceSettings, UnsafeSettingsError

SERVICE = "dispatcher"


def build_bus(uow: DispatcherUnitOfWork) -> MessageBus:
    return MessageBus(commands=COMMAND_HANDLERS, events=EVENT_HANDLERS, dependencies={"uow": uow})


def secret_box(settings: ServiceSettings) -> FernetSecretBox:
    """Production refuses the development key: anyone can read it in this repository."""
    keys = settings.channel_secret_key_list
    if settings.env == "prod" and (not keys or DEV_CHANNEL_SECRET_KEY in keys):
        raise UnsafeSettingsError(
            "ROSTER_CHANNEL_SECRET_KEYS must hold Fernet keys of your own when ROSTER_ENV=prod"
        )
    return FernetSecretBox(keys)


def unit_of_work(
    db: AsyncDatabase[Document], store: Store, box: SecretBox
) -> MongoDispatcherUnitOfWork:
    return MongoDispatcherUnitOfWork(
        channels=MongoChannelRepository(db, box), audience=MongoAudienceProjection(db, store)
    )


@dataclass
class MongoDispatcherUnitOfWork(DispatcherUnitOfWork):
    """The unit of work over MongoDB (its adapters create their indexes)."""

    channels: MongoChannelRepository
    audience: MongoAudienceProjection


@dataclass
class Running:
    store: Store
    uow: DispatcherUnitOfWork  # commands and consumers (the writing connection)
    views: DispatcherUnitOfWork  # the API's reads (the reading connections)
    bus: MessageBus
    catch_up: CatchUp
    producer: EventProducer
    consumer: ConsumerRunner


class DispatcherService(ServiceHandle[Running]):
    @property
    def uow(self) -> DispatcherUnitOfWork:
        return self.running.uow


async def _start(box: SecretBox, settings: ServiceSettings, stack: AsyncExitStack) -> Running:
    plumbing = await open_plumbing(settings, SERVICE, stack)
    uow = unit_of_work(plumbing.db, plumbing.store, box)
    for adapter in (uow.channels, uow.audience):
        await adapter.create_indexes()
    bus = build_bus(uow)
    consumer = await start_consumer(plumbing, CONSUMED_TOPICS, bus, stack)
    return Running(
        store=plumbing.store,
        uow=uow,
        views=unit_of_work(plumbing.reading_db, plumbing.store, box),
        bus=bus,
        catch_up=plumbing.catch_up,
        producer=plumbing.producer,
        consumer=consumer,
    )


def build_dispatcher_service(settings: ServiceSettings) -> DispatcherService:
    """Refuses unsafe secret keys here, before anything starts."""
    start = partial(_start, secret_box(settings))
    return DispatcherService(app=service_app(settings, SERVICE, ROUTERS, start), settings=settings)


def build_app(settings: ServiceSettings) -> FastAPI:
    """The entry point `roster serve dispatcher` uses."""
    return build_dispatcher_service(settings).app
