"""Per-request access to the service's wiring: its unit of work, for reads."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.groups.service_layer.unit_of_work import GroupsUnitOfWork


async def get_uow(request: Request) -> GroupsUnitOfWork:
    uow: GroupsUnitOfWork = request.app.state.uow
    return uow


Uow = Annotated[GroupsUnitOfWork, Depends(get_uow)]
