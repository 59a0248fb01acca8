"""Every error answers `{"error": {"code", "message", "details"}}` with a machine-readable code."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.errors import DomainError
from shared.logging import get_logger

log = get_logger(__name__)

_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
    500: "internal_error",
    503: "unavailable",
}


class ErrorDetail(BaseModel):
    code: str = Field(description="Machine-readable, e.g. `duplicate_phone`, `not_found`")
    message: str = Field(description="For people")
    details: dict[str, Any] = Field(description="What the code is about (ids, fields, limits)")


class ErrorResponse(BaseModel):
    """Every error answer of every service."""

    error: ErrorDetail


# What each documented error status means, for the OpenAPI documents.
ERROR_STATUSES: dict[int, str] = {
    400: "The request is malformed (a bad cursor, say)",
    401: "No valid bearer token",
    403: "The caller's role may not do this",
    404: "Not found in the caller's organisation (or not visible to the caller)",
    409: "Conflicts with the current state (a duplicate, a stale version)",
    422: "The request breaks a rule: the code says which",
}


class ApiError(Exception):
    def __init__(
        self, status: int, code: str, message: str, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def error_view(exc: DomainError) -> dict[str, Any]:
    """A domain error as it appears in answers, alone or inside a per-item result."""
    return error_body(exc.code, exc.message, exc.details)["error"]


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain_error(_: Request, exc: DomainError) -> JSONResponse:
        headers: dict[str, str] = {}
        if exc.status == 401:
            headers["WWW-Authenticate"] = "Bearer"
        if isinstance(exc.details.get("retry_after_s"), int):
            headers["Retry-After"] = str(exc.details["retry_after_s"])
        return JSONResponse({"error": error_view(exc)}, exc.status, headers=headers or None)

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse(
            error_body(exc.code, exc.message, exc.details), exc.status, headers=headers
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {
                "location": list(err.get("loc", ())),
                "message": err.get("msg"),
                "type": err.get("type"),
            }
            for err in exc.errors()
        ]
        return JSONResponse(
            error_body("validation_error", "the request is not valid", {"problems": problems}), 422
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, "error")
        return JSONResponse(error_body(code, str(exc.detail)), exc.status_code)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled_error", error=repr(exc), exc_info=exc)
        return JSONResponse(error_body("internal_error", "unexpected error"), 500)
