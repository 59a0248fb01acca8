"""The one clock services use: UTC, trimmed to the millisecond that stores keep, so an event and
the document written with it carry equal times."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """What handlers ask for the time (the unit tests give a fixed one)."""

    def __call__(self) -> datetime: ...


def utc_now() -> datetime:
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)
