"""The contacts service's side of `roster reconcile groups`: its `contact.groups` projection."""

from __future__ import annotations

from fastapi import Request

from services.contacts.service_layer.unit_of_work import ContactsUnitOfWork
from shared.http.memberships import CONTACTS_MEMBERSHIPS, memberships_router


async def _memberships(
    request: Request, org_id: str, after: str | None, limit: int
) -> list[tuple[str, list[str]]]:
    uow: ContactsUnitOfWork = request.app.state.uow
    return await uow.memberships.memberships(org_id, after, limit)


memberships = memberships_router(_memberships, CONTACTS_MEMBERSHIPS)
