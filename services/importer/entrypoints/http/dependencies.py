"""Per-request access to the service's wiring."""

from __future__ import annotations

from fastapi import Request

from services.importer.entrypoints.import_worker import ImportWorker
from services.importer.service_layer.unit_of_work import ImportsUnitOfWork


def get_uow(request: Request) -> ImportsUnitOfWork:
    uow: ImportsUnitOfWork = request.app.state.uow
    return uow


def get_worker(request: Request) -> ImportWorker:
    worker: ImportWorker = request.app.state.running.worker
    return worker
