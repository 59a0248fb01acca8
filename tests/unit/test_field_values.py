"""Reading custom field values by type: what is accepted, what is refused with a clear code."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from services.contacts.domain.errors import InvalidField, InvalidFieldValue
from services.contacts.domain.fields import check_key, coerce_value
from shared.contactql.values import FieldType, parse_number

LAGOS = "Africa/Lagos"


@pytest.mark.parametrize(
    ("text", "number"),
    [("18", "18"), ("-2.50", "-2.50"), ("1,250.5", "1250.5"), ("1e3", "1E+3"), (".5", "0.5")],
)
def test_numbers_read_as_decimals(text: str, number: str) -> None:
    assert parse_number(text) == Decimal(number)


@pytest.mark.parametrize("text", ["1,5", "12,3456", ",5", "1,2,3", "NaN", "inf", "1e400", "١٢"])
def test_ambiguous_or_unstorable_numbers_are_refused(text: str) -> None:
    assert parse_number(text) is None
    with pytest.raises(InvalidFieldValue) as refused:
        coerce_value("age", text, FieldType.NUMBER, LAGOS)
    assert refused.value.details["field"] == "age"


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("2024-03-10", datetime(2024, 3, 9, 23, tzinfo=UTC)),
        ("10/03/2024", datetime(2024, 3, 9, 23, tzinfo=UTC)),
        ("2024-03-10 10:30", datetime(2024, 3, 10, 9, 30, tzinfo=UTC)),
        ("2024-03-10T10:30:00+03:00", datetime(2024, 3, 10, 7, 30, tzinfo=UTC)),
    ],
)
def test_datetimes_are_read_in_the_organisation_timezone(text: str, utc: datetime) -> None:
    value = coerce_value("visit", text, FieldType.DATETIME, LAGOS)
    assert value is not None and value.datetime == utc and value.text == text


@pytest.mark.parametrize(
    "text",
    [
        "2024-03-10 not a date",
        "2024-W10-1",
        "0001-01-01",
        "9999-12-31T23:59:59-01:00",
        "31/02/2024",
    ],
)
def test_impossible_or_out_of_range_datetimes_are_refused(text: str) -> None:
    with pytest.raises(InvalidFieldValue):
        coerce_value("visit", text, FieldType.DATETIME, LAGOS)


def test_a_value_longer_than_the_limit_is_refused_whatever_its_json_type() -> None:
    with pytest.raises(InvalidFieldValue):
        coerce_value("note", int("9" * 700), FieldType.TEXT, LAGOS)
    with pytest.raises(InvalidFieldValue):
        coerce_value("note", "x" * 641, FieldType.TEXT, LAGOS)


@pytest.mark.parametrize("key", ["age\n", "Age", "1age", "a" * 37, "name", "groups"])
def test_bad_or_reserved_keys_are_refused(key: str) -> None:
    with pytest.raises(InvalidField):
        check_key(key)
