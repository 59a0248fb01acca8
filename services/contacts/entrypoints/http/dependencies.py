"""Per-request access to the service's wiring: its unit of work, for reads."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.contacts.service_layer.unit_of_work import ContactsUnitOfWork


async def get_uow(request: Request) -> ContactsUnitOfWork:
    uow: ContactsUnitOfWork = request.app.state.uow
    return uow


Uow = Annotated[ContactsUnitOfWork, Depends(get_uow)]
