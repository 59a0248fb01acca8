"""Per-request access to the service's wiring: its unit of work, for reads."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.flows.service_layer.unit_of_work import FlowsUnitOfWork


async def get_uow(request: Request) -> FlowsUnitOfWork:
    uow: FlowsUnitOfWork = request.app.state.uow
    return uow


Uow = Annotated[FlowsUnitOfWork, Depends(get_uow)]
