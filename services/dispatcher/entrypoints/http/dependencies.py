"""Per-request access to the service's wiring: its unit of work, for reads."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.dispatcher.service_layer.unit_of_work import DispatcherUnitOfWork


async def get_uow(request: Request) -> DispatcherUnitOfWork:
    uow: DispatcherUnitOfWork = request.app.state.uow
    return uow


Uow = Annotated[DispatcherUnitOfWork, Depends(get_uow)]
