"""Repairs `roster reconcile groups` asks for: recount a group's members from the projection, and
announce memberships again so the contacts service's projection catches up (never by writing its
database)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from services.groups.domain import commands
from services.groups.entrypoints.http.schemas import RecountView, RepublishView
from services.groups.service_layer.results import Recount
from services.groups.service_layer.unit_of_work import GroupsUnitOfWork
from shared.auth import Role
from shared.contracts.groups import MAX_MEMBERSHIP_BATCH
from shared.http.dependencies import Bus, Caller
from shared.http.memberships import GROUPS_MEMBERSHIPS, memberships_router
from shared.http.security import require_role

router = APIRouter(prefix="/v1/admin/groups", tags=["admin"])


class RepublishBody(BaseModel):
    added: list[str] = Field(default_factory=list, max_length=100 * MAX_MEMBERSHIP_BATCH)
    removed: list[str] = Field(default_factory=list, max_length=100 * MAX_MEMBERSHIP_BATCH)


@router.post("/{group_id}/recount", response_model=RecountView)
async def recount_members(group_id: str, by: Caller, bus: Bus) -> RecountView:
    require_role(by, (Role.ADMIN,), "recount members")
    done: Recount = await bus.handle(commands.RecountMembers(by=by, group_id=group_id))
    return RecountView(id=done.group_id, before=done.before, after=done.after)


@router.post("/{group_id}/republish", response_model=RepublishView)
async def republish_memberships(
    group_id: str, body: RepublishBody, by: Caller, bus: Bus
) -> RepublishView:
    """Announces these memberships again, as they stand in this service."""
    require_role(by, (Role.ADMIN,), "republish memberships")
    await bus.handle(
        commands.RepublishMemberships(
            by=by, group_id=group_id, added=body.added, removed=body.removed
        )
    )
    return RepublishView(id=group_id, added=len(body.added), removed=len(body.removed))


async def _memberships(
    request: Request, org_id: str, after: str | None, limit: int
) -> list[tuple[str, list[str]]]:
    uow: GroupsUnitOfWork = request.app.state.uow
    return await uow.contacts.memberships(org_id, after, limit)


memberships = memberships_router(_memberships, GROUPS_MEMBERSHIPS)
