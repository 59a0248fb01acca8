"""Organisation settings: the defaults every contact of the organisation is interpreted with."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any
from zoneinfo import available_timezones

from services.contacts.domain.errors import InvalidValue
from services.contacts.domain.values import clean_language, clean_text
from shared.contracts.envelope import EventPayload
from shared.contracts.organizations import OrganizationUpdated
from shared.phone import is_supported_country

SETTINGS = ("name", "default_country", "default_language", "timezone")


@dataclass
class Organization:
    id: str
    name: str | None = None
    default_country: str | None = None
    default_language: str | None = None
    timezone: str = "UTC"
    version: int = 0
    updated_at: datetime | None = None
    events: list[EventPayload] = field(default_factory=list, repr=False, compare=False)

    def update(self, changes: dict[str, Any], now: datetime) -> None:
        """Applies the given settings; only real changes are recorded and published."""
        cleaned = {key: _clean_setting(key, value) for key, value in changes.items()}
        changed = [key for key, value in cleaned.items() if getattr(self, key) != value]
        if not changed:
            return
        for key in changed:
            setattr(self, key, cleaned[key])
        self.version += 1
        self.updated_at = now
        self.events.append(
            OrganizationUpdated(
                org_id=self.id,
                name=self.name,
                default_country=self.default_country,
                default_language=self.default_language,
                timezone=self.timezone,
                changed=changed,
                updated_at=now,
            )
        )


def _clean_setting(key: str, value: Any) -> Any:
    if key not in SETTINGS:
        raise InvalidValue(f"unknown organisation setting {key!r}", field=key)
    if key == "name":
        return clean_text(value, field="name", max_length=128)
    if key == "default_language":
        return clean_language(value)
    if key == "default_country":
        if value is None:
            return None
        code = str(value).strip().upper()
        if not is_supported_country(code):
            raise InvalidValue("default_country must be an ISO 3166 alpha-2 code", field=key)
        return code
    if value not in _timezones():
        raise InvalidValue("timezone must be an IANA time zone name", field=key, value=value)
    return value


@cache
def _timezones() -> frozenset[str]:
    return frozenset(available_timezones())
