"""What the dispatcher knows of an organisation's settings (from `OrganizationUpdated`): its
time zone, in which quiet hours are read, and its default language (templates)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OrganizationSettings:
    timezone: str = "UTC"
    default_language: str | None = None
