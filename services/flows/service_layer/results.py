"""What the flows service's commands answer, for the routes to show."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from services.flows.domain.flows import Flow


@dataclass
class ImportReport:
    created: list[Flow] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)  # name, uuid, problems


@dataclass
class StartOutcome:
    started: int = 0
    interrupted: int = 0  # runs of other flows (or this one) ended by this start
    skipped: Counter[str] = field(default_factory=Counter)  # by reason
