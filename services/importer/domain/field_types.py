"""The type a new field gets from the values a file holds for it: a number or a date only when
every sampled value reads as one, text otherwise (what RapidPro would do by hand)."""

from __future__ import annotations

from collections.abc import Iterable

from services.importer.domain.cells import CLEAR
from shared.contactql.values import parse_datetime, parse_number


def guess_type(values: Iterable[str]) -> str:
    sample = [v for v in values if v and v != CLEAR]
    if not sample:
        return "text"
    if all(parse_number(v) is not None for v in sample):
        return "number"
    if all(parse_datetime(v, "UTC") is not None for v in sample):
        return "datetime"
    return "text"
