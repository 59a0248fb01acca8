"""Per-request access to the service's wiring, and the domain-error → HTTP mapping."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from services.contacts.domain.errors import DomainError
from services.contacts.entrypoints.field_values_worker import FieldValuesWorker
from services.contacts.service_layer.unit_of_work import ContactsUnitOfWork
from shared.http.errors import error_body


def get_uow(request: Request) -> ContactsUnitOfWork:
    uow: ContactsUnitOfWork = request.app.state.uow
    return uow


def get_field_values(request: Request) -> FieldValuesWorker:
    worker: FieldValuesWorker = request.app.state.running.field_values
    return worker


def error_view(exc: DomainError) -> dict[str, Any]:
    return error_body(exc.code, exc.message, exc.details)["error"]


def install_domain_errors(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain_error(_: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse({"error": error_view(exc)}, exc.status)
