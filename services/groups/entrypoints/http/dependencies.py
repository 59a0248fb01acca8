"""Per-request access to the service's wiring."""

from __future__ import annotations

from fastapi import Request

from services.groups.entrypoints.smart_group_worker import SmartGroupWorker
from services.groups.service_layer.unit_of_work import GroupsUnitOfWork


def get_uow(request: Request) -> GroupsUnitOfWork:
    uow: GroupsUnitOfWork = request.app.state.uow
    return uow


def get_smart_groups(request: Request) -> SmartGroupWorker:
    worker: SmartGroupWorker = request.app.state.running.smart_groups
    return worker
