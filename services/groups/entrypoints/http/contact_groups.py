"""`GET /v1/contacts/{id}/groups`: the groups a contact is in, from this service's projection."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from services.groups.domain.errors import GroupNotFound
from services.groups.entrypoints.http.dependencies import get_uow
from services.groups.service_layer.unit_of_work import GroupsUnitOfWork
from shared.auth import Principal, Role
from shared.http.security import authenticate

router = APIRouter(prefix="/v1/contacts", tags=["groups"])


@router.get("/{contact_id}/groups")
async def contact_groups(
    contact_id: str,
    by: Annotated[Principal, Depends(authenticate)],
    uow: Annotated[GroupsUnitOfWork, Depends(get_uow)],
) -> dict[str, Any]:
    """Staff see the contact only through the groups assigned to them."""
    group_ids = await uow.contacts.groups_of(by.org_id, contact_id)
    groups = [
        g
        for g in await uow.groups.find(by.org_id)
        if group_ids is not None and g.id in group_ids and g.visible_to(by)
    ]
    if group_ids is None or (not groups and by.role is Role.STAFF):
        raise GroupNotFound("contact not found", id=contact_id)
    return {"items": [{"id": g.id, "name": g.name} for g in groups]}
