"""Events published on `roster.organizations` (keyed by organisation id)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from shared.contracts.envelope import EventPayload
from shared.contracts.topics import ORGANIZATIONS


class OrganizationUpdated(EventPayload):
    """The organisation's full settings after a change, so a consumer can project them directly."""

    event_type: ClassVar[str] = "OrganizationUpdated"
    topic: ClassVar[str] = ORGANIZATIONS.name

    org_id: str
    name: str | None
    default_country: str | None
    default_language: str | None
    timezone: str
    changed: list[str]
    updated_at: datetime
