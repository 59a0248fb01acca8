"""Wires the flows service: store, Kafka, adapters, the message bus, HTTP app and consumer.
Nothing is created at import time; `build_bus` is the one place that knows which adapter
serves which port (the unit tests call it with fakes)."""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass

from fastapi import FastAPI
from pymongo.asynchronous.database import AsyncDatabase

from services.flows.adapters.conversation_repository import MongoConversationRepository
from services.flows.adapters.flow_repository import MongoFlowRepository
from services.flows.adapters.keyword_repository import MongoKeywordSettingsRepository
from services.flows.adapters.run_repository import MongoRunRepository
from services.flows.adapters.trigger_repository import MongoTriggerRepository
from services.flows.entrypoints.background import FlowsBackground
from services.flows.entrypoints.consumers import CONSUMED_TOPICS
from services.flows.entrypoints.http.app import ROUTERS
from services.flows.service_layer.registry import COMMAND_HANDLERS, EVENT_HANDLERS
from services.flows.service_layer.unit_of_work import FlowsUnitOfWork
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
from shared.settings import ServiceSettings

SERVICE = "flows"


def build_bus(uow: FlowsUnitOfWork, catch_up: CatchUp = ASK_ONCE) -> MessageBus:
    return MessageBus(
        commands=COMMAND_HANDLERS,
        events=EVENT_HANDLERS,
        dependencies={"uow": uow, "catch_up": catch_up},
    )


def unit_of_work(
    db: AsyncDatabase[Document], store: Store, wakeup: OutboxWakeup
) -> MongoFlowsUnitOfWork:
    return MongoFlowsUnitOfWork(
        conversations=MongoConversationRepository(db, store, wakeup),
        keywords=MongoKeywordSettingsRepository(db),
        audience=MongoAudienceProjection(db, store, by_phone=True),
        flows=MongoFlowRepository(db),
        runs=MongoRunRepository(db, wakeup, store),
        triggers=MongoTriggerRepository(db),
        organizations=MongoOrganizationCopies(db),
    )


@dataclass
class MongoFlowsUnitOfWork(FlowsUnitOfWork):
    """The unit of work over MongoDB (its adapters create their indexes)."""

    conversations: MongoConversationRepository
    keywords: MongoKeywordSettingsRepository
    audience: MongoAudienceProjection
    flows: MongoFlowRepository
    runs: MongoRunRepository
    triggers: MongoTriggerRepository
    organizations: MongoOrganizationCopies


@dataclass
class Running:
    store: Store
    uow: FlowsUnitOfWork  # consumers (the writing connection)
    views: FlowsUnitOfWork  # the API's reads (the reading connections)
    bus: MessageBus
    catch_up: CatchUp
    producer: EventProducer
    consumer: ConsumerRunner
    relay: OutboxRelay


class FlowsService(ServiceHandle[Running]):
    @property
    def uow(self) -> FlowsUnitOfWork:
        return self.running.uow


async def _start(settings: ServiceSettings, stack: AsyncExitStack) -> Running:
    plumbing = await open_plumbing(settings, SERVICE, stack)
    uow = unit_of_work(plumbing.db, plumbing.store, plumbing.wakeup)
    for adapter in (uow.conversations, uow.keywords, uow.audience, uow.flows, uow.runs,
                    uow.triggers):  # fmt: skip
        await adapter.create_indexes()
    bus = build_bus(uow, plumbing.catch_up)
    consumer = await start_consumer(plumbing, CONSUMED_TOPICS, bus, stack)
    relay = await start_relay(plumbing, [uow.conversations.messages, uow.runs.collection], stack)
    background = FlowsBackground(bus.handle)
    await background.start()
    stack.push_async_callback(background.stop)
    return Running(
        store=plumbing.store,
        uow=uow,
        views=unit_of_work(plumbing.reading_db, plumbing.store, plumbing.wakeup),
        bus=bus,
        catch_up=plumbing.catch_up,
        producer=plumbing.producer,
        consumer=consumer,
        relay=relay,
    )


def build_flows_service(settings: ServiceSettings) -> FlowsService:
    return FlowsService(app=service_app(settings, SERVICE, ROUTERS, _start), settings=settings)


def build_app(settings: ServiceSettings) -> FastAPI:
    """The entry point `roster serve flows` uses."""
    return build_flows_service(settings).app
