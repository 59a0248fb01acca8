"""The contacts service's HTTP application."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager

from fastapi import FastAPI

from services.contacts.entrypoints.http import admin, contacts, fields, organization
from shared.auth import TokenCodec
from shared.http.app import ReadinessCheck, create_app


def create_contacts_app(
    *,
    token_codec: TokenCodec,
    readiness: Mapping[str, ReadinessCheck],
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]] | None = None,
) -> FastAPI:
    app = create_app(
        service="contacts", token_codec=token_codec, readiness=readiness, lifespan=lifespan
    )
    app.include_router(contacts.router)
    app.include_router(organization.router)
    app.include_router(fields.router)
    app.include_router(admin.memberships)
    return app
