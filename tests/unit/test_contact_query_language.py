"""The contact query language, as a table: each query's normalized form, or the error it earns.

Covers every operator and word operator, precedence, implicit AND, quoting, phone-number queries,
set checks and every error code.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.contactql.errors import CODES, QueryError
from shared.contactql.predicates import Attribute, TimeRange, required_group
from shared.contactql.resolve import QueryContext, parse_query
from shared.contactql.syntax import MAX_CONDITIONS, MAX_DEPTH
from shared.contactql.values import FieldType

CONTEXT = QueryContext(
    timezone="Africa/Lagos",
    default_country="NG",
    fields={
        "age": FieldType.NUMBER,
        "district": FieldType.DISTRICT,
        "state": FieldType.STATE,
        "dob": FieldType.DATETIME,
        "vip": FieldType.BOOLEAN,
        "nickname": FieldType.TEXT,
    },
    groups={"farmers": "g-1", "g-1": "g-1", "traders": "g-2", "g-2": "g-2"},
)

NORMALIZED = [
    # comparisons, every operator
    ("age = 18", "age = 18"),
    ("age != 18", "age != 18"),
    ("age > 18", "age > 18"),
    ("age < 18", "age < 18"),
    ("age >= 18.5", "age >= 18.5"),
    ("age > 1,250.5", "age > 1,250.5"),
    ("age <= -2", "age <= -2"),
    ("age>18", "age > 18"),
    ("name ~ amin", "name ~ amin"),
    ("name has amin", "name ~ amin"),
    ("district is Kano", "district = Kano"),
    ("NAME HAS bob", "name ~ bob"),
    ("AGE = 3", "age = 3"),
    # quoting
    ('district = "Kano"', "district = Kano"),
    ('district = "Port Harcourt"', 'district = "Port Harcourt"'),
    ('nickname = "say \\"hi\\""', 'nickname = "say \\"hi\\""'),
    ('nickname = "and"', 'nickname = "and"'),
    ('nickname = "a=b"', 'nickname = "a=b"'),
    ("nickname = O'Brien", "nickname = O'Brien"),
    # set checks
    ('district = ""', 'district = ""'),
    ('district != ""', 'district != ""'),
    ('email = ""', 'email = ""'),
    ('name != ""', 'name != ""'),
    ('tel = ""', 'tel = ""'),
    ('last_seen_on = ""', 'last_seen_on = ""'),
    ('language != ""', 'language != ""'),
    # boolean operators, precedence, implicit AND, parentheses
    ("age > 18 AND district = Kano", "age > 18 AND district = Kano"),
    ("age > 18 and district = Kano", "age > 18 AND district = Kano"),
    ("age > 18 district = Kano", "age > 18 AND district = Kano"),
    ("age > 18 OR district = Kano", "age > 18 OR district = Kano"),
    ("age = 1 OR age = 2 AND vip = yes", "age = 1 OR age = 2 AND vip = yes"),
    ("(age = 1 OR age = 2) AND vip = yes", "(age = 1 OR age = 2) AND vip = yes"),
    ("age = 1 AND (age = 2 OR vip = no)", "age = 1 AND (age = 2 OR vip = no)"),
    ("((age = 1))", "age = 1"),
    ("(age = 1 AND age = 2) AND age = 3", "age = 1 AND age = 2 AND age = 3"),
    ("age = 1 or age = 2 or age = 3", "age = 1 OR age = 2 OR age = 3"),
    (
        "(age = 1 OR age = 2) (vip = yes OR vip = no)",
        "(age = 1 OR age = 2) AND (vip = yes OR vip = no)",
    ),
    # attributes
    ("status = blocked", "status = blocked"),
    ("status != STOPPED", "status != stopped"),
    ("language = ENG", "language = eng"),
    ("category = Teacher", "category = Teacher"),
    ("email = amina@example.org", "email = amina@example.org"),
    ("group = Farmers", "group = Farmers"),
    ("group != g-2", "group != g-2"),
    ("id = 3f1c", "id = 3f1c"),
    ("uuid = 3f1c", "id = 3f1c"),
    ("created_on > 2024-01-05", "created_on > 2024-01-05"),
    ("last_seen_on <= 05/01/2024", "last_seen_on <= 05/01/2024"),
    ("dob = 2001-02-03", "dob = 2001-02-03"),
    ("dob = 2001-02-03T23:30:00-02:00", "dob = 2001-02-03T23:30:00-02:00"),
    ("vip = yes", "vip = yes"),
    ("fields.age > 3", "age > 3"),
    ("fields.district = Kano", "district = Kano"),
    # phones
    ('tel = "+234 803 123 4567"', "tel = +2348031234567"),
    ('phone = "0803 123 4567"', "tel = +2348031234567"),
    ("tel = 08031234567", "tel = +2348031234567"),
    ("tel ~ 803", "tel ~ 803"),
    ("phone has 1234", "tel ~ 1234"),
    ("+2348031234567", "tel = +2348031234567"),
    ("0803-123-4567", "tel = +2348031234567"),
    ("+44 7911 123456", "tel = +447911123456"),
    # quoted, a phone number is searched in names, as RapidPro reads it
    ('"+44 7911 123456"', 'name ~ "+44 7911 123456"'),
    # bare words
    ("amina", "name ~ amina"),
    ('"amina bello"', 'name ~ "amina bello"'),
    ("amina age > 3", "name ~ amina AND age > 3"),
    ("12345", "tel ~ 12345"),
    ("123", "name ~ 123"),
]

ERRORS = [
    ("", "syntax"),
    ("   ", "syntax"),
    ("age =", "syntax"),
    ("= 3", "syntax"),
    ("(age = 1", "syntax"),
    ("age = 1)", "syntax"),
    ('name = "unterminated', "syntax"),
    ("age ! 3", "syntax"),
    ('"name" = bob', "syntax"),
    ("age = 1 OR", "syntax"),
    ("AND age = 1", "syntax"),
    ("shoe_size = 3", "unknown_property"),
    ("fields.name = 3", "unknown_property"),
    ("age = old", "invalid_number"),
    ("age > 1.2.3", "invalid_number"),
    ("age = NaN", "invalid_number"),
    ("dob = 2024-13-01", "invalid_date"),
    ("created_on > yesterday", "invalid_date"),
    ("last_seen_on = 32/01/2024", "invalid_date"),
    ("dob = 9999-12-31", "invalid_date"),
    ("created_on < 0001-01-01", "invalid_date"),
    ("dob = 2024-01-31garbage", "invalid_date"),
    ("dob = 2024-W10-1", "invalid_date"),
    ("age = 1,5", "invalid_number"),
    ("vip = maybe", "invalid_boolean"),
    ("group = Fishers", "invalid_group"),
    ("status = deleted", "invalid_status"),
    ("language = blorgish", "invalid_language"),
    ("language = 12", "invalid_language"),
    ("age ~ 3", "unsupported_contains"),
    ("district ~ Ka", "unsupported_contains"),
    ("email ~ example", "unsupported_contains"),
    ("name ~ a", "invalid_partial_name"),
    ("tel ~ 80", "invalid_partial_urn"),
    ("district > Kano", "unsupported_comparison"),
    ("name > a", "unsupported_comparison"),
    ("status < active", "unsupported_comparison"),
    ("vip > no", "unsupported_comparison"),
    ('status = ""', "unsupported_setcheck"),
    ('id != ""', "unsupported_setcheck"),
    ('created_on = ""', "unsupported_setcheck"),
    ('age > ""', "invalid_number"),
    ("(" * (MAX_DEPTH + 1) + "age = 1" + ")" * (MAX_DEPTH + 1), "too_complex"),
    (" OR ".join(["age = 1"] * (MAX_CONDITIONS + 1)), "too_complex"),
    ("name ~ " + "x" * 10_000, "too_complex"),
    ("fieldz.age = 3", "unknown_property_type"),
]


@pytest.mark.parametrize(("query", "normalized"), NORMALIZED)
def test_query_normalizes(query: str, normalized: str) -> None:
    parsed = parse_query(query, CONTEXT)
    assert parsed.text == normalized
    # The normalized form is a fixed point: parsing it again gives itself.
    assert parse_query(parsed.text, CONTEXT).text == normalized


@pytest.mark.parametrize(("query", "code"), ERRORS)
def test_query_is_refused_with_a_named_reason(query: str, code: str) -> None:
    with pytest.raises(QueryError) as refused:
        parse_query(query, CONTEXT)
    assert refused.value.code == code
    assert refused.value.message


def test_the_tables_are_large_and_cover_every_error_code() -> None:
    assert len(NORMALIZED) + len(ERRORS) >= 60
    assert {code for _, code in ERRORS} == set(CODES)


def test_syntax_errors_say_where() -> None:
    with pytest.raises(QueryError) as refused:
        parse_query("age = 1 AND (district = x", CONTEXT)
    assert refused.value.details["position"] == len("age = 1 AND (district = x")
    with pytest.raises(QueryError) as quoted:
        parse_query('"name" = bob', CONTEXT)
    assert quoted.value.details["position"] == 0


def test_references_and_smart_group_eligibility() -> None:
    parsed = parse_query("age > 3 AND group = farmers OR district = x", CONTEXT)
    assert parsed.fields == ("age", "district")
    assert parsed.groups == ("g-1",)
    assert not parsed.allowed_in_smart_group
    assert parse_query("age > 3", CONTEXT).allowed_in_smart_group
    assert not parse_query("id = x", CONTEXT).allowed_in_smart_group
    assert not parse_query("status = blocked", CONTEXT).allowed_in_smart_group


@pytest.mark.parametrize(
    ("query", "group"),
    [
        ("group = farmers", "g-1"),
        ("age > 3 AND group = traders", "g-2"),
        ("(group = farmers AND age > 3) AND name ~ ade", "g-1"),
        ("group = farmers OR age > 3", None),  # a contact may match outside the group
        ("group != farmers", None),
        ("group != farmers AND age > 3", None),
        ("age > 3", None),
    ],
)
def test_a_group_every_match_is_in(query: str, group: str | None) -> None:
    """What lets a listing walk a group's members instead of the organisation's contacts."""
    assert required_group(parse_query(query, CONTEXT).predicate) == group


def test_dates_are_whole_days_in_the_organisation_timezone() -> None:
    predicate = parse_query("created_on = 2024-01-05", CONTEXT).predicate
    assert isinstance(predicate, TimeRange)
    assert predicate.target.attribute is Attribute.CREATED_ON
    # Lagos is UTC+1: the day starts at 23:00 UTC the evening before.
    assert predicate.start == datetime(2024, 1, 4, 23, tzinfo=UTC)
    assert predicate.end == datetime(2024, 1, 5, 23, tzinfo=UTC)


def test_a_date_and_time_means_its_day_in_the_organisation_timezone() -> None:
    # 23:30 at UTC-2 is 02:30 the next day in Lagos (UTC+1): the whole of 4 February.
    predicate = parse_query("dob = 2001-02-03T23:30:00-02:00", CONTEXT).predicate
    assert isinstance(predicate, TimeRange)
    assert predicate.start == datetime(2001, 2, 3, 23, tzinfo=UTC)
    assert predicate.end == datetime(2001, 2, 4, 23, tzinfo=UTC)


@pytest.mark.parametrize("written", ["eng", "en", "English", "english", "en-GB"])
def test_a_language_is_read_as_contacts_languages_are_stored(written: str) -> None:
    query = parse_query(f"language = {written}", CONTEXT)
    assert query.text == "language = eng"
