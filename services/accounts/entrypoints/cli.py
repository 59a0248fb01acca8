"""The accounts commands of `roster`: what a platform operator does where there is no signed-in
admin yet (the first organisation and its admin) or no route for it (rotating the signing key).
They run against the accounts service's database, as the service does, through its bus."""

from __future__ import annotations

import secrets
from typing import Any

from services.accounts.adapters.passwords import Argon2Passwords
from services.accounts.bootstrap import build_bus, prepare, unit_of_work
from services.accounts.domain.commands import CreateOrganization, RotateSigningKey
from services.accounts.domain.errors import OrganizationExists
from shared.mongo.client import connect_store
from shared.settings import ServiceSettings


async def on_accounts(settings: ServiceSettings, command: object) -> Any:
    store = await connect_store(settings.mongodb_url)
    try:
        db = store.client[settings.database_name("accounts")]
        uow = unit_of_work(db, settings, Argon2Passwords())
        bus = build_bus(uow)
        await prepare(db, uow, bus)
        return await bus.handle(command)
    finally:
        await store.close()


def new_password() -> str:
    return secrets.token_urlsafe(18)


async def create_organization(
    settings: ServiceSettings,
    org_id: str,
    name: str,
    admin_email: str,
    admin_name: str,
    admin_password: str | None,
    *,
    exists_ok: bool = False,
) -> tuple[str, str | None]:
    """The admin's email and, when it was made here, the password (shown once, stored hashed).
    `exists_ok`: an organisation already there is fine (a stack's seed, run again)."""
    password = admin_password or new_password()
    try:
        user = await on_accounts(
            settings, CreateOrganization(org_id, name, admin_email, admin_name, password)
        )
    except OrganizationExists:
        if not exists_ok:
            raise
        return admin_email, None
    return user.email, password


async def rotate_key(settings: ServiceSettings) -> str:
    key = await on_accounts(settings, RotateSigningKey())
    return str(key.kid)
