"""Reads that go through no handler."""

from __future__ import annotations

from typing import Any

from services.accounts.domain.clients import ApiClient
from services.accounts.domain.keys import signing_key
from services.accounts.domain.model import User
from services.accounts.service_layer.unit_of_work import AccountsUnitOfWork


async def published_keys(uow: AccountsUnitOfWork) -> list[dict[str, Any]]:
    """The public keys of every key that signs or signed tokens still valid, the signing one
    first."""
    keys = await uow.keys.all()
    now = uow.clock()
    current = signing_key(keys)
    published = [k for k in keys if k.published(now, uow.tokens.access_ttl)]
    published.sort(key=lambda k: (k is not current, -k.created_at.timestamp()))
    return [dict(k.public_jwk) for k in published]


async def members(uow: AccountsUnitOfWork, org_id: str) -> list[User]:
    return await uow.users.members(org_id)


async def api_clients(uow: AccountsUnitOfWork, org_id: str) -> list[ApiClient]:
    return await uow.clients.of_organization(org_id)
