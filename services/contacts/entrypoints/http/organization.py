"""Routes for the caller's organisation settings."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from services.contacts.domain import commands
from services.contacts.entrypoints.http.dependencies import get_uow
from services.contacts.entrypoints.http.schemas import OrganizationPatch, OrganizationView
from services.contacts.service_layer import handlers
from services.contacts.service_layer.unit_of_work import ContactsUnitOfWork
from shared.auth import Principal, Role
from shared.http.security import authenticate, require_role

router = APIRouter(prefix="/v1/organization", tags=["organization"])

Caller = Annotated[Principal, Depends(authenticate)]
Uow = Annotated[ContactsUnitOfWork, Depends(get_uow)]


@router.get("", response_model=OrganizationView)
async def get_organization(by: Caller, uow: Uow) -> OrganizationView:
    return OrganizationView.of(await handlers.get_organization(by.org_id, uow))


@router.patch("", response_model=OrganizationView)
async def update_organization(body: OrganizationPatch, by: Caller, uow: Uow) -> OrganizationView:
    require_role(by, (Role.ADMIN,), "change organisation settings")
    org = await handlers.update_organization(
        commands.UpdateOrganization(by=by, changes=body.model_dump(exclude_unset=True)), uow
    )
    return OrganizationView.of(org)
