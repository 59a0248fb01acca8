"""`GET /v1/memberships/{contact_id}`: the groups a contact is in (this service's projection)."""

from __future__ import annotations

from fastapi import APIRouter

from services.groups.domain.errors import GroupNotFound
from services.groups.entrypoints.http.dependencies import Uow
from services.groups.entrypoints.http.schemas import ContactGroups, GroupRef
from shared.auth import Role
from shared.http.dependencies import Caller

router = APIRouter(prefix="/v1/memberships", tags=["groups"])


@router.get("/{contact_id}", response_model=ContactGroups)
async def list_contact_groups(
    contact_id: str,
    by: Caller,
    uow: Uow,
) -> ContactGroups:
    """Staff see the contact only through the groups assigned to them."""
    group_ids = await uow.contacts.groups_of(by.org_id, contact_id)
    groups = [
        g
        for g in await uow.groups.find(by.org_id)
        if group_ids is not None and g.id in group_ids and g.visible_to(by)
    ]
    if group_ids is None or (not groups and by.role is Role.STAFF):
        raise GroupNotFound("contact not found", id=contact_id)
    return ContactGroups(items=[GroupRef(id=g.id, name=g.name) for g in groups])
