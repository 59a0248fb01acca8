"""Wires the accounts service: store, Kafka (its outbox relay: its events come with the
organisation memberships), adapters, the message bus and the HTTP app. Nothing is created at
import time; `build_bus` is the one place that knows which adapter serves which port (the unit
tests call it with fakes). The service verifies its own access tokens (signing out) against its
own key ring, without a round trip to itself."""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from pymongo.asynchronous.database import AsyncDatabase

from services.accounts.adapters.keys import Ed25519Keys, MongoKeyRing
from services.accounts.adapters.passwords import Argon2Passwords
from services.accounts.adapters.repositories import (
    MongoApiClients,
    MongoAttempts,
    MongoInvitations,
    MongoOrganizations,
    MongoSessions,
    MongoUsers,
)
from services.accounts.domain.commands import RotateSigningKey
from services.accounts.domain.keys import signing_key
from services.accounts.entrypoints.http.app import ROUTERS
from services.accounts.service_layer import queries
from services.accounts.service_layer.ports import PasswordHasher
from services.accounts.service_layer.registry import COMMAND_HANDLERS, EVENT_HANDLERS
from services.accounts.service_layer.unit_of_work import AccountsUnitOfWork, TokenRules
from shared.catch_up import CatchUp
from shared.kafka.consumer import ConsumerRunner
from shared.kafka.producer import EventProducer
from shared.messagebus import MessageBus
from shared.mongo.client import Document, Store
from shared.mongo.outbox import OutboxWakeup
from shared.mongo.relay import OutboxRelay
from shared.runtime import ServiceHandle, open_plumbing, service_app, start_relay
from shared.settings import ServiceSettings

SERVICE = "accounts"
USERS = "users"  # the collection whose outbox holds the membership events


def build_bus(uow: AccountsUnitOfWork) -> MessageBus:
    return MessageBus(commands=COMMAND_HANDLERS, events=EVENT_HANDLERS, dependencies={"uow": uow})


def token_rules(settings: ServiceSettings) -> TokenRules:
    return TokenRules(
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        access_ttl=timedelta(seconds=settings.access_token_ttl_s),
        session_ttl=timedelta(days=settings.session_ttl_days),
    )


def unit_of_work(
    db: AsyncDatabase[Document],
    settings: ServiceSettings,
    passwords: PasswordHasher,
    wakeup: OutboxWakeup,
) -> AccountsUnitOfWork:
    return AccountsUnitOfWork(
        users=MongoUsers(db, wakeup),
        organizations=MongoOrganizations(db),
        sessions=MongoSessions(db),
        invitations=MongoInvitations(db),
        clients=MongoApiClients(db),
        keys=MongoKeyRing(db),
        key_factory=Ed25519Keys(),
        passwords=passwords,
        attempts=MongoAttempts(db),
        tokens=token_rules(settings),
    )


async def prepare(db: AsyncDatabase[Document], uow: AccountsUnitOfWork, bus: MessageBus) -> None:
    """Indexes, and a signing key if there is none yet."""
    indexed = (MongoUsers(db, OutboxWakeup()), MongoSessions(db), MongoKeyRing(db),
               MongoApiClients(db))  # fmt: skip
    for adapter in indexed:
        await adapter.create_indexes()
    if signing_key(await uow.keys.all()) is None:
        await bus.handle(RotateSigningKey())


@dataclass
class Running:
    store: Store
    uow: AccountsUnitOfWork
    views: AccountsUnitOfWork
    bus: MessageBus
    catch_up: CatchUp
    producer: EventProducer
    consumer: ConsumerRunner | None
    relay: OutboxRelay


class AccountsService(ServiceHandle[Running]):
    @property
    def uow(self) -> AccountsUnitOfWork:
        return self.running.uow


async def _start(settings: ServiceSettings, stack: AsyncExitStack) -> Running:
    plumbing = await open_plumbing(settings, SERVICE, stack)
    passwords = Argon2Passwords()
    uow = unit_of_work(plumbing.db, settings, passwords, plumbing.wakeup)
    bus = build_bus(uow)
    await prepare(plumbing.db, uow, bus)
    relay = await start_relay(plumbing, [plumbing.db[USERS]], stack)
    return Running(
        store=plumbing.store,
        uow=uow,
        views=unit_of_work(plumbing.reading_db, settings, passwords, plumbing.wakeup),
        bus=bus,
        catch_up=plumbing.catch_up,
        producer=plumbing.producer,
        consumer=None,
        relay=relay,
    )


def build_accounts_service(settings: ServiceSettings) -> AccountsService:
    async def own_keys() -> dict[str, Any]:
        return {"keys": await queries.published_keys(app.state.running.uow)}

    app = service_app(
        settings, SERVICE, ROUTERS, _start, tokens=settings.accepted_tokens(jwks=own_keys)
    )
    return AccountsService(app=app, settings=settings)


def build_app(settings: ServiceSettings) -> FastAPI:
    """The entry point `roster serve accounts` uses."""
    return build_accounts_service(settings).app
