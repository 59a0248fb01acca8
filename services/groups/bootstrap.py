"""Wires the groups service: store, Kafka, projections, handlers, HTTP app, consumer, outbox
relay and the background work (smart groups, members by query). Nothing is created at import
time."""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass

from fastapi import FastAPI

from services.groups.adapters.contact_projection import ContactProjection
from services.groups.adapters.group_repository import SOURCE, GroupRepository
from services.groups.adapters.member_change_repository import MemberChangeRepository
from services.groups.adapters.organization_projection import OrganizationProjection
from services.groups.entrypoints.background import GroupsBackground
from services.groups.entrypoints.consumers import (
    CONSUMED_TOPICS,
    bulk_handler,
    events_handler,
)
from services.groups.entrypoints.http.app import create_groups_app
from services.groups.service_layer.unit_of_work import GroupsUnitOfWork
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

SERVICE = "groups"


@dataclass
class Running:
    store: Store
    uow: GroupsUnitOfWork
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
    db = plumbing.db
    uow = GroupsUnitOfWork(
        groups=GroupRepository(db, plumbing.wakeup, plumbing.store),
        contacts=ContactProjection(db, plumbing.store),
        organizations=OrganizationProjection(db),
        member_changes=MemberChangeRepository(db),
        max_groups=settings.max_groups_per_org,
    )
    await uow.groups.create_indexes()
    await uow.contacts.create_indexes()
    await uow.member_changes.create_indexes()
    replies = ReplyOutbox(db["import_replies"], SOURCE, plumbing.wakeup)
    await replies.create_indexes()
    relay = await start_relay(plumbing, [uow.groups.collection, replies.collection], stack)
    consumer = await start_consumer(
        plumbing, CONSUMED_TOPICS, events_handler(uow, replies), stack, bulk_handler(uow)
    )
    background = GroupsBackground(uow)
    await background.start()
    stack.push_async_callback(background.stop)
    return Running(
        store=plumbing.store,
        uow=uow,
        producer=plumbing.producer,
        consumer=consumer,
        relay=relay,
        background=background,
    )


def build_groups_service(settings: ServiceSettings) -> GroupsService:
    return GroupsService(app=service_app(settings, create_groups_app, _start), settings=settings)


def build_app(settings: ServiceSettings) -> FastAPI:
    """The entry point `roster serve groups` uses."""
    return build_groups_service(settings).app
