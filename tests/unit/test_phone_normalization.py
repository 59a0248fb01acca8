"""Real-world phone inputs across countries: accepted in E.164, or refused with a reason."""

from __future__ import annotations

import pytest

from shared.phone import InvalidPhone, normalize_phone

VALID = [
    # (raw input, organisation default country, expected E.164)
    ("+254 712 345 678", None, "+254712345678"),  # Kenya, international with spaces
    ("0712 345678", "KE", "+254712345678"),  # Kenya, national with the org's default
    ("254712345678", "KE", "+254712345678"),  # Kenya, country code without + (Glific format)
    ("254712345678", None, "+254712345678"),  # same, no default country needed
    ("00254712345678", None, "+254712345678"),  # leading 00 international prefix
    ("917834811114", None, "+917834811114"),  # India, Glific sample
    ("+91 98765-43210", None, "+919876543210"),  # India with a dash
    ("09876543210", "IN", "+919876543210"),  # India, trunk 0
    ("+1 (415) 555-2671", None, "+14155552671"),  # USA with brackets
    ("415.555.2671", "US", "+14155552671"),  # USA with dots, national
    ("(020) 7946 0958", "GB", "+442079460958"),  # UK landline, national
    ("+44 7911 123456", None, "+447911123456"),  # UK mobile
    ("0803 123 4567", "NG", "+2348031234567"),  # Nigeria, national
    ("+234-803-123-4567", None, "+2348031234567"),  # Nigeria with dashes
    ("011 234 5678", "ZA", "+27112345678"),  # South Africa landline
    ("+55 11 91234-5678", None, "+5511912345678"),  # Brazil mobile
    ("+49 30 901820", None, "+4930901820"),  # Germany (short Berlin number)
    ("06 12 34 56 78", "FR", "+33612345678"),  # France, national mobile
    ("+62 812-3456-7890", None, "+6281234567890"),  # Indonesia
    ("\u200b+256 772 123456\u200b", None, "+256772123456"),  # Uganda with invisible characters
    ("+255 754 123 456", "KE", "+255754123456"),  # Tanzania: + wins over the default country
]

INVALID = [
    # (raw input, default country, reason)
    ("", None, "empty"),
    ("   ", "KE", "empty"),
    ("call me", "KE", "not_a_number"),
    ("+254 712 abc", None, "not_a_number"),
    ("12345", None, "too_short"),
    ("0712345678", None, "missing_country_code"),
    ("+999 123456789", None, "invalid_country_code"),
    ("+254 7123 456 789 123", None, "too_long"),
    ("+1 555 555 5555", None, "invalid_number"),  # 555 exchange is not assigned
    ("+44 20 1234", None, "invalid_number"),  # possible length, not a real London number
    ("0712345", "KE", "invalid_number"),
]


@pytest.mark.parametrize(("raw", "country", "expected"), VALID)
def test_valid_numbers_are_stored_in_e164(raw: str, country: str | None, expected: str) -> None:
    assert normalize_phone(raw, country) == expected


@pytest.mark.parametrize(("raw", "country", "reason"), INVALID)
def test_invalid_numbers_are_refused_with_a_reason(
    raw: str, country: str | None, reason: str
) -> None:
    with pytest.raises(InvalidPhone) as refused:
        normalize_phone(raw, country)
    assert refused.value.code == "invalid_phone"
    assert refused.value.details["reason"] == reason


def test_the_table_is_large_enough() -> None:
    assert len(VALID) + len(INVALID) >= 20
