"""Per-request access to the service's wiring."""

from __future__ import annotations

from fastapi import Request

from services.contacts.entrypoints.field_values_worker import FieldValuesWorker
from services.contacts.service_layer.unit_of_work import ContactsUnitOfWork


def get_uow(request: Request) -> ContactsUnitOfWork:
    uow: ContactsUnitOfWork = request.app.state.uow
    return uow


def get_field_values(request: Request) -> FieldValuesWorker:
    worker: FieldValuesWorker = request.app.state.running.field_values
    return worker
