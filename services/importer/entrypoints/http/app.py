"""The importer's HTTP application."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager

from fastapi import FastAPI

from services.importer.entrypoints.http import imports
from shared.auth import TokenCodec
from shared.http.app import ReadinessCheck, create_app


def create_importer_app(
    *,
    token_codec: TokenCodec,
    readiness: Mapping[str, ReadinessCheck],
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]] | None = None,
) -> FastAPI:
    app = create_app(
        service="importer", token_codec=token_codec, readiness=readiness, lifespan=lifespan
    )
    app.include_router(imports.router)
    return app
