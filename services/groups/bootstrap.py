"""Wires the groups service: store, Kafka, adapters, the message bus, HTTP app, consumer, outbox
relay and the background work (smart groups, members by query). Nothing is created at import
time; `build_bus` is the one place that knows which adapter serves which port (the unit tests
call it with fakes)."""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass

from fastapi import FastAPI
from pymongo.asynchronous.database import AsyncDatabase

from services.groups.adapters.contact_projection import MongoContactProjection
from services.groups.adapters.group_repository import SOURCE, MongoGroupRepository
from services.groups.adapters.member_change_repository import MongoMemberChangeRepository
from services.groups.adapters.organization_users import MongoOrganizationUsers
from services.groups.adapters.pending_join_repository import MongoPendingJoinRepository
from services.groups.entrypoints.background import GroupsBackground
from services.groups.entrypoints.consumers import CONSUMED_TOPICS
from services.groups.entrypoints.http.app import ROUTERS
from services.groups.service_layer.ports import BackgroundWork, ImportReplies
from services.groups.service_layer.registry import COMMAND_HANDLERS, EVENT_HANDLERS
from services.groups.service_layer.unit_of_work import GroupsUnitOfWork
from shared.catch_up import ASK_ONCE, CatchUp
from shared.kafka.consumer import ConsumerRunner
from shared.kafka.producer import EventProducer
from shared.messagebus import MessageBus
from shared.mongo.client import Document, Store
from shared.mongo.organization_settings import MongoOrganizationCopies
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

SERVICE = "groups"


def build_bus(
    uow: GroupsUnitOfWork,
    replies: ImportReplies,
    background: BackgroundWork,
    catch_up: CatchUp = ASK_ONCE,
) -> MessageBus:
    return MessageBus(
        commands=COMMAND_HANDLERS,
        events=EVENT_HANDLERS,
        dependencies={
            "uow": uow,
            "replies": replies,
            "background": background,
            "catch_up": catch_up,
        },
    )


def unit_of_work(
    db: AsyncDatabase[Document], store: Store, wakeup: OutboxWakeup, settings: ServiceSettings
) -> GroupsUnitOfWork:
    return GroupsUnitOfWork(
        groups=MongoGroupRepository(db, wakeup, store),
        contacts=MongoContactProjection(db, store),
        organizations=MongoOrganizationCopies(db),
        member_changes=MongoMemberChangeRepository(db),
        pending_joins=MongoPendingJoinRepository(db),
        users=MongoOrganizationUsers(db),
        max_groups=settings.max_groups_per_org,
    )


@dataclass
class Running:
    store: Store
    uow: GroupsUnitOfWork  # commands, consumers and workers (the writing connection)
    views: GroupsUnitOfWork  # the API's reads (the reading connections)
    bus: MessageBus
    catch_up: CatchUp
    producer: EventProducer
    consumer: ConsumerRunner
    relay: OutboxRelay
    background: GroupsBackground


class GroupsService(ServiceHandle[Running]):
    @property
    def uow(self) -> GroupsUnitOfWork:
        return self.running.uow


async def _start(settings: ServiceSettings, stack: AsyncExitStack) -> Running:
    plumbing = await open_plumbing(settings, SERVICE, stack)
    db, store, wakeup = plumbing.db, plumbing.store, plumbing.wakeup
    uow = unit_of_work(db, store, wakeup, settings)
    replies = ReplyOutbox(db["import_replies"], SOURCE, wakeup)
    indexed = (
        MongoGroupRepository(db, wakeup, store),
        MongoContactProjection(db, store),
        MongoMemberChangeRepository(db),
        MongoPendingJoinRepository(db),
        MongoOrganizationUsers(db),
        replies,
    )
    for adapter in indexed:
        await adapter.create_indexes()
    background = GroupsBackground(
        uow.groups, uow.member_changes, lambda command: bus.handle(command)
    )
    bus = build_bus(uow, replies, background, plumbing.catch_up)
    relay = await start_relay(plumbing, [db["groups"], replies.collection], stack)
    consumer = await start_consumer(plumbing, CONSUMED_TOPICS, bus, stack)
    await background.start()
    stack.push_async_callback(background.stop)
    return Running(
        store=store,
        uow=uow,
        views=unit_of_work(plumbing.reading_db, store, wakeup, settings),
        bus=bus,
        catch_up=plumbing.catch_up,
        producer=plumbing.producer,
        consumer=consumer,
        relay=relay,
        background=background,
    )


def build_groups_service(settings: ServiceSettings) -> GroupsService:
    return GroupsService(app=service_app(settings, SERVICE, ROUTERS, _start), settings=settings)


def build_app(settings: ServiceSettings) -> FastAPI:
    """The entry point `roster serve groups` uses."""
    return build_groups_service(settings).app
