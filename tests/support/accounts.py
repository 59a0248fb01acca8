"""Members of an organisation made through the accounts service, as an admin would add them; the
other services learn them from its events (the groups service: who may be a group's staff)."""

from __future__ import annotations

import uuid

from services.accounts.bootstrap import AccountsService
from services.accounts.domain.commands import AddMember
from services.accounts.service_layer.results import AddedMember
from shared.auth import Principal, Role


async def staff_members(accounts: AccountsService, org: str, *names: str) -> dict[str, str]:
    """Each name's user id, added to `org` as staff."""
    admin = Principal(org, Role.ADMIN, "test-admin")
    ids: dict[str, str] = {}
    for name in names:
        email = f"{name}.{uuid.uuid4().hex[:8]}@example.org"
        added: AddedMember = await accounts.running.bus.handle(
            AddMember(admin, email, name, Role.STAFF)
        )
        ids[name] = added.user.id
    return ids
