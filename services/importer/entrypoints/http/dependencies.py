"""Per-request access to the service's wiring: its unit of work, for reads and uploads."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.importer.service_layer.unit_of_work import ImportsUnitOfWork


async def get_uow(request: Request) -> ImportsUnitOfWork:
    uow: ImportsUnitOfWork = request.app.state.uow
    return uow


Uow = Annotated[ImportsUnitOfWork, Depends(get_uow)]
