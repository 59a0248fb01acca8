"""Why a query was refused: the error code names the problem (`syntax`, `unknown_property`, ...)."""

from __future__ import annotations

from typing import Any

from shared.errors import DomainError

CODES = (
    "syntax",
    "unknown_property",
    "unknown_property_type",
    "invalid_number",
    "invalid_date",
    "invalid_boolean",
    "invalid_group",
    "invalid_status",
    "invalid_language",
    "invalid_partial_name",
    "invalid_partial_urn",
    "unsupported_contains",
    "unsupported_comparison",
    "unsupported_setcheck",
    "too_complex",
)


class QueryError(DomainError):
    def __init__(self, code: str, message: str, **details: Any) -> None:
        assert code in CODES, code
        super().__init__(message, **details)
        self.code = code
