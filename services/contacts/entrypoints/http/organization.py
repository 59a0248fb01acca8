"""Routes for the caller's organisation settings."""

from __future__ import annotations

from fastapi import APIRouter

from services.contacts.domain import commands
from services.contacts.entrypoints.http.dependencies import Uow
from services.contacts.entrypoints.http.schemas import OrganizationPatch, OrganizationView
from services.contacts.service_layer import queries
from shared.auth import Role
from shared.http.dependencies import Bus, Caller
from shared.http.security import require_role

router = APIRouter(prefix="/v1/organization", tags=["organization"])


@router.get("", response_model=OrganizationView)
async def get_organization(by: Caller, uow: Uow) -> OrganizationView:
    return OrganizationView.of(await queries.organization(uow, by.org_id))


@router.patch("", response_model=OrganizationView)
async def update_organization(body: OrganizationPatch, by: Caller, bus: Bus) -> OrganizationView:
    require_role(by, (Role.ADMIN,), "change organisation settings")
    org = await bus.handle(
        commands.UpdateOrganization(by=by, changes=body.model_dump(exclude_unset=True))
    )
    return OrganizationView.of(org)
