"""The accounts commands of `roster`: what a platform operator does where there is no signed-in
admin yet (the first organisation and its admin) or no route for it (rotating the signing key).
They run against the accounts service's database, as the service does, through its bus."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from services.accounts.adapters.passwords import Argon2Passwords
from services.accounts.bootstrap import SERVICE, USERS, build_bus, prepare, unit_of_work
from services.accounts.domain.commands import (
    CreateOrganization,
    DeactivateUser,
    IssueDevelopmentToken,
    RotateSigningKey,
)
from services.accounts.domain.errors import OrganizationExists
from services.accounts.service_layer.results import CreatedOrganization
from shared.auth import Role
from shared.kafka.producer import EventProducer
from shared.logging import get_logger
from shared.mongo.client import Document, Store, connect_store
from shared.mongo.outbox import OutboxWakeup
from shared.mongo.relay import OutboxRelay, RelayLease
from shared.settings import ServiceSettings

log = get_logger(__name__)


async def on_accounts(settings: ServiceSettings, command: object, *, publish: bool = True) -> Any:
    """Handles `command`, then publishes the events it stored, as the service's relay would
    (if Kafka cannot be reached now, the service's relay finds them later)."""
    store = await connect_store(settings.mongodb_url)
    try:
        db = store.client[settings.database_name("accounts")]
        wakeup = OutboxWakeup()
        uow = unit_of_work(db, settings, Argon2Passwords(), wakeup)
        bus = build_bus(uow)
        await prepare(db, uow, bus)
        result = await bus.handle(command)
        if publish:
            await _publish(settings, store, db[USERS], wakeup)
        return result
    finally:
        await store.close()


async def _publish(
    settings: ServiceSettings,
    store: Store,
    users: AsyncCollection[Document],
    wakeup: OutboxWakeup,
) -> None:
    producer = EventProducer(settings.kafka_bootstrap, "roster-accounts-cli",
                             settings.kafka_security())  # fmt: skip
    try:
        await asyncio.wait_for(producer.start(), timeout=10)
        relay = OutboxRelay(
            store=store,
            collections=[users],
            producer=producer,
            lease=RelayLease(users.database["relay_leases"], "cli", ttl=timedelta(seconds=5)),
            service=SERVICE,
            wakeup=wakeup,
            topic_prefix=settings.kafka_topic_prefix,
        )
        await relay.relay_once(users)
    except Exception as exc:
        log.warning("events_left_for_the_service", error=repr(exc))
    finally:
        with contextlib.suppress(Exception):
            await producer.stop()


async def create_organization(
    settings: ServiceSettings,
    org_id: str,
    name: str,
    admin_email: str,
    admin_name: str,
    admin_password: str | None,
    *,
    exists_ok: bool = False,
) -> CreatedOrganization | None:
    """The organisation and its admin (a new admin without `admin_password` gets an invitation
    to set one, the one-time sign-in link); None if it existed and `exists_ok` (a stack's seed,
    run again)."""
    try:
        created: CreatedOrganization = await on_accounts(
            settings, CreateOrganization(org_id, name, admin_email, admin_name, admin_password)
        )
    except OrganizationExists:
        if not exists_ok:
            raise
        return None
    return created


async def deactivate_user(settings: ServiceSettings, email: str) -> str:
    user = await on_accounts(settings, DeactivateUser(email))
    return str(user.id)


async def development_token(
    settings: ServiceSettings, org_id: str, role: Role, subject: str, ttl_s: int
) -> str:
    token: str = await on_accounts(
        settings, IssueDevelopmentToken(org_id, role, subject, ttl_s), publish=False
    )
    return token


async def rotate_key(settings: ServiceSettings) -> str:
    key = await on_accounts(settings, RotateSigningKey())
    return str(key.kid)
