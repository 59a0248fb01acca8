"""What callers ask the dispatcher to do, in the imperative. Raw input; handlers validate."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shared.auth import Principal


@dataclass(frozen=True)
class CreateChannel:
    by: Principal
    type: str
    name: str
    # Only the settings given; the others take the type's defaults.
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class UpdateChannel:
    by: Principal
    channel_id: str
    changes: dict[str, Any]
    expected_version: int | None = None


@dataclass(frozen=True)
class DeleteChannel:
    by: Principal
    channel_id: str
