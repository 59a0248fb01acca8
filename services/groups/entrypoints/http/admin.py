"""Repairs `roster reconcile groups` asks for: recount a group's members from the projection, and
announce memberships again so the contacts service's projection catches up (never by writing its
database)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from services.groups.domain.errors import VersionConflict
from services.groups.entrypoints.http.dependencies import get_uow
from services.groups.service_layer import handlers
from services.groups.service_layer.unit_of_work import GroupsUnitOfWork
from shared.auth import Principal, Role
from shared.contracts.groups import MAX_MEMBERSHIP_BATCH
from shared.http.memberships import memberships_router
from shared.http.security import authenticate, require_role

router = APIRouter(prefix="/v1/admin/groups", tags=["admin"])
Caller = Annotated[Principal, Depends(authenticate)]
Uow = Annotated[GroupsUnitOfWork, Depends(get_uow)]


class RepublishBody(BaseModel):
    added: list[str] = Field(default_factory=list, max_length=100 * MAX_MEMBERSHIP_BATCH)
    removed: list[str] = Field(default_factory=list, max_length=100 * MAX_MEMBERSHIP_BATCH)


@router.post("/{group_id}/recount")
async def recount(group_id: str, by: Caller, uow: Uow) -> dict[str, Any]:
    require_role(by, (Role.ADMIN,), "recount members")
    group = await handlers.load_visible(uow, by, group_id)
    for _ in range(10):  # changes applied while counting: count again
        applied = await uow.groups.applied_seq(group.id)
        count = await uow.contacts.count_members(by.org_id, group.id)
        if await uow.groups.set_member_count(group.id, count, applied):
            return {"id": group.id, "before": group.member_count, "after": count}
    raise VersionConflict("members keep changing; recount later", id=group.id)


@router.post("/{group_id}/republish")
async def republish(group_id: str, body: RepublishBody, by: Caller, uow: Uow) -> dict[str, Any]:
    """Announces these memberships again, as they stand in this service."""
    require_role(by, (Role.ADMIN,), "republish memberships")
    group = await handlers.load_visible(uow, by, group_id)
    for add, ids in ((True, body.added), (False, body.removed)):
        await handlers.record_membership(uow, by.org_id, group.id, add, ids, "reconcile", by.actor)
    return {"id": group.id, "added": len(body.added), "removed": len(body.removed)}


async def _memberships(
    request: Request, org_id: str, after: str | None, limit: int
) -> list[tuple[str, list[str]]]:
    uow: GroupsUnitOfWork = request.app.state.uow
    return await uow.contacts.memberships(org_id, after, limit)


memberships = memberships_router(_memberships)
