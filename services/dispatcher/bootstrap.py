"""Wires the dispatcher: store, Kafka, adapters, the message bus, HTTP app and consumer.
Nothing is created at import time; `build_bus` is the one place that knows which adapter
serves which port (the unit tests call it with fakes)."""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass
from functools import partial

from fastapi import FastAPI
from pymongo.asynchronous.database import AsyncDatabase

from services.dispatcher.adapters.broadcast_repository import MongoBroadcastRepository
from services.dispatcher.adapters.channel_repository import MongoChannelRepository
from services.dispatcher.adapters.inbound_repository import MongoInboundRepository
from services.dispatcher.adapters.pacer import ChannelPacer
from services.dispatcher.adapters.providers import ChannelProviders, provider_session
from services.dispatcher.adapters.secret_box import FernetSecretBox
from services.dispatcher.adapters.single_message_repository import MongoSingleMessageRepository
from services.dispatcher.adapters.status_inbox import MongoProviderIds, MongoStatusInbox
from services.dispatcher.adapters.template_repository import MongoTemplateRepository
from services.dispatcher.entrypoints.background import DispatchBackground
from services.dispatcher.entrypoints.consumers import CONSUMED_TOPICS
from services.dispatcher.entrypoints.http.app import ROUTERS
from services.dispatcher.service_layer.ports import Pacer, Providers, SecretBox
from services.dispatcher.service_layer.registry import COMMAND_HANDLERS, EVENT_HANDLERS
from services.dispatcher.service_layer.unit_of_work import DispatcherUnitOfWork
from shared.catch_up import ASK_ONCE, CatchUp
from shared.kafka.consumer import ConsumerRunner
from shared.kafka.producer import EventProducer
from shared.messagebus import MessageBus
from shared.mongo.audience_copies import MongoAudienceProjection
from shared.mongo.client import Document, Store
from shared.mongo.organization_settings import MongoOrganizationCopies
from shared.mongo.outbox import OutboxWakeup
from shared.mongo.relay import OutboxRelay
from shared.runtime import (
    ServiceHandle,
    open_plumbing,
    service_app,
    start_consumer,
    start_relay,
)
from shared.settings import DEV_CHANNEL_SECRET_KEY, ServiceSettings, UnsafeSettingsError

SERVICE = "dispatcher"


def build_bus(
    uow: DispatcherUnitOfWork,
    providers: Providers,
    pacer: Pacer,
    catch_up: CatchUp = ASK_ONCE,
) -> MessageBus:
    return MessageBus(
        commands=COMMAND_HANDLERS,
        events=EVENT_HANDLERS,
        dependencies={"uow": uow, "providers": providers, "pacer": pacer, "catch_up": catch_up},
    )


def secret_box(settings: ServiceSettings) -> FernetSecretBox:
    """Production refuses the development key: anyone can read it in this repository."""
    keys = settings.channel_secret_key_list
    if settings.env == "prod" and (not keys or DEV_CHANNEL_SECRET_KEY in keys):
        raise UnsafeSettingsError(
            "ROSTER_CHANNEL_SECRET_KEYS must hold Fernet keys of your own when ROSTER_ENV=prod"
        )
    return FernetSecretBox(keys)


def unit_of_work(
    db: AsyncDatabase[Document], store: Store, box: SecretBox, wakeup: OutboxWakeup
) -> MongoDispatcherUnitOfWork:
    return MongoDispatcherUnitOfWork(
        channels=MongoChannelRepository(db, box),
        templates=MongoTemplateRepository(db),
        audience=MongoAudienceProjection(db, store),
        broadcasts=MongoBroadcastRepository(db, wakeup),
        status_inbox=MongoStatusInbox(db),
        provider_ids=MongoProviderIds(db, store),
        organizations=MongoOrganizationCopies(db),
        inbound=MongoInboundRepository(db, wakeup),
        single_messages=MongoSingleMessageRepository(db, wakeup),
    )


@dataclass
class MongoDispatcherUnitOfWork(DispatcherUnitOfWork):
    """The unit of work over MongoDB (its adapters create their indexes)."""

    channels: MongoChannelRepository
    templates: MongoTemplateRepository
    audience: MongoAudienceProjection
    broadcasts: MongoBroadcastRepository
    status_inbox: MongoStatusInbox
    provider_ids: MongoProviderIds
    organizations: MongoOrganizationCopies
    inbound: MongoInboundRepository
    single_messages: MongoSingleMessageRepository


@dataclass
class Running:
    store: Store
    uow: DispatcherUnitOfWork  # commands and consumers (the writing connection)
    views: DispatcherUnitOfWork  # the API's reads (the reading connections)
    bus: MessageBus
    catch_up: CatchUp
    producer: EventProducer
    consumer: ConsumerRunner
    relay: OutboxRelay
    background: DispatchBackground


class DispatcherService(ServiceHandle[Running]):
    @property
    def uow(self) -> DispatcherUnitOfWork:
        return self.running.uow


async def _start(box: SecretBox, settings: ServiceSettings, stack: AsyncExitStack) -> Running:
    plumbing = await open_plumbing(settings, SERVICE, stack)
    uow = unit_of_work(plumbing.db, plumbing.store, box, plumbing.wakeup)
    adapters = (uow.channels, uow.templates, uow.audience, uow.broadcasts, uow.status_inbox,
                uow.inbound, uow.single_messages)  # fmt: skip
    for adapter in adapters:
        await adapter.create_indexes()
    session = await stack.enter_async_context(provider_session(settings.provider_timeout_s))
    bus = build_bus(uow, ChannelProviders(session), ChannelPacer(), plumbing.catch_up)
    consumer = await start_consumer(plumbing, CONSUMED_TOPICS, bus, stack)
    relay = await start_relay(
        plumbing,
        [
            uow.broadcasts.broadcasts,
            uow.broadcasts.buckets_collection,
            uow.inbound.collection,
            uow.single_messages.collection,
        ],
        stack,
    )
    background = DispatchBackground(
        uow.broadcasts, uow.single_messages, plumbing.db["sender_leases"], bus.handle
    )
    await background.start()
    stack.push_async_callback(background.stop)
    return Running(
        store=plumbing.store,
        uow=uow,
        views=unit_of_work(plumbing.reading_db, plumbing.store, box, plumbing.wakeup),
        bus=bus,
        catch_up=plumbing.catch_up,
        producer=plumbing.producer,
        consumer=consumer,
        relay=relay,
        background=background,
    )


def build_dispatcher_service(settings: ServiceSettings) -> DispatcherService:
    """Refuses unsafe secret keys here, before anything starts."""
    start = partial(_start, secret_box(settings))
    return DispatcherService(app=service_app(settings, SERVICE, ROUTERS, start), settings=settings)


def build_app(settings: ServiceSettings) -> FastAPI:
    """The entry point `roster serve dispatcher` uses."""
    return build_dispatcher_service(settings).app
