"""The base of every rule violation a service reports: a machine-readable code, an HTTP status
and details. Entry points turn them into `{"error": {...}}` answers (`shared.http.errors`)."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code: str = "domain_error"
    status: int = 422

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
