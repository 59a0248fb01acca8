"""Typed contact field values as the event contract describes them (`FieldValueRecord`), and the
readers that turn text into numbers, dates and booleans. Every service that reads or queries
field values reads them the same way.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from shared.contracts.contacts import FieldValueRecord


class FieldType(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    DATETIME = "datetime"
    BOOLEAN = "boolean"
    STATE = "state"
    DISTRICT = "district"
    WARD = "ward"

    @property
    def is_text(self) -> bool:
        """Location types are plain text with a type tag."""
        return self not in (FieldType.NUMBER, FieldType.DATETIME, FieldType.BOOLEAN)


@dataclass(frozen=True)
class FieldValue:
    """The text as given plus, for typed fields, the value read from it."""

    text: str
    type: FieldType
    number: Decimal | None = None
    datetime: dt.datetime | None = None
    boolean: bool | None = None

    @property
    def value(self) -> str | Decimal | dt.datetime | bool:
        if self.type is FieldType.NUMBER:
            assert self.number is not None
            return self.number
        if self.type is FieldType.DATETIME:
            assert self.datetime is not None
            return self.datetime
        if self.type is FieldType.BOOLEAN:
            assert self.boolean is not None
            return self.boolean
        return self.text

    @classmethod
    def from_record(cls, record: FieldValueRecord) -> FieldValue:
        """Reads a value as events carry it."""
        kind = FieldType(record.type)
        value = record.value
        if kind is FieldType.NUMBER:
            return cls(record.text, kind, number=Decimal(str(value)))
        if kind is FieldType.DATETIME:
            assert isinstance(value, str)
            return cls(record.text, kind, datetime=datetime.fromisoformat(value))
        if kind is FieldType.BOOLEAN:
            return cls(record.text, kind, boolean=bool(value))
        return cls(record.text, kind)

    def record(self) -> dict[str, Any]:
        """JSON form used in events and API responses."""
        value: Any = self.value
        if isinstance(value, Decimal):
            value = int(value) if value == value.to_integral_value() else float(value)
        elif isinstance(value, datetime):
            value = value.isoformat()
        return {"text": self.text, "type": self.type.value, "value": value}


_TRUE = {"yes", "true", "1", "y"}
_FALSE = {"no", "false", "0", "n"}
_DAY_FIRST = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})", re.ASCII)
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", re.ASCII)
_NUMBER = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?", re.ASCII)
_THOUSANDS = re.compile(r"[-+]?\d{1,3}(,\d{3})+(\.\d+)?", re.ASCII)


def parse_number(text: str) -> Decimal | None:
    """Plain decimals (`-12.5`, `1e3`) or thousands in groups of three (`1,250.5`)."""
    if _THOUSANDS.fullmatch(text):
        text = text.replace(",", "")
    elif not _NUMBER.fullmatch(text):
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    # Stored as a double for queries (FerretDB has no decimal128): it must fit one.
    return number if number.is_finite() and math.isfinite(float(number)) else None


def parse_day(text: str) -> date | None:
    """ISO dates (2024-01-31) and day-first dates (31-01-2024, 31/01/2024), nothing else."""
    if _ISO_DAY.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            return None
    if match := _DAY_FIRST.fullmatch(text):
        day, month, year = (int(g) for g in match.groups())
        try:
            return date(year, month, day)
        except ValueError:
            return None
    return None


def parse_datetime(text: str, timezone: str) -> datetime | None:
    """ISO 8601 with or without time and offset, or a day-first date; naive means the
    organisation's timezone. Returned in UTC."""
    day = parse_day(text)
    try:
        if day is not None:
            parsed = datetime.combine(day, time())
        elif _ISO_DATETIME.match(text):
            parsed = datetime.fromisoformat(text)
        else:
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=ZoneInfo(timezone))
        parsed = parsed.astimezone(UTC)
    except (ValueError, OverflowError):  # not a date, or beyond year 1..9999 once in UTC
        return None
    return parsed.replace(microsecond=parsed.microsecond // 1000 * 1000)


def parse_boolean(text: str) -> bool | None:
    word = text.strip().lower()
    return True if word in _TRUE else False if word in _FALSE else None
