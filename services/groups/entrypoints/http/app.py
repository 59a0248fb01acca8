"""The groups service's HTTP application."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager

from fastapi import FastAPI

from services.groups.entrypoints.http import admin, contact_groups, export, groups
from shared.auth import TokenCodec
from shared.http.app import ReadinessCheck, create_app


def create_groups_app(
    *,
    token_codec: TokenCodec,
    readiness: Mapping[str, ReadinessCheck],
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]] | None = None,
) -> FastAPI:
    app = create_app(
        service="groups", token_codec=token_codec, readiness=readiness, lifespan=lifespan
    )
    app.include_router(groups.router)
    app.include_router(export.router)
    app.include_router(contact_groups.router)
    app.include_router(admin.router)
    app.include_router(admin.memberships)
    return app
