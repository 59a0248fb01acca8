"""Per-request access to the service's wiring."""

from __future__ import annotations

from fastapi import Request

from services.groups.entrypoints.background import GroupsBackground
from services.groups.service_layer.unit_of_work import GroupsUnitOfWork


def get_uow(request: Request) -> GroupsUnitOfWork:
    uow: GroupsUnitOfWork = request.app.state.uow
    return uow


def get_background(request: Request) -> GroupsBackground:
    background: GroupsBackground = request.app.state.running.background
    return background
