"""Phone numbers are E.164 (`+<country><number>`) everywhere, so one number has one spelling:
every service that reads a typed number normalises it here."""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import NumberParseException, ValidationResult

from shared.errors import DomainError


class InvalidPhone(DomainError):
    code = "invalid_phone"


_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\u00ad]")
_ALLOWED = re.compile(r"^\+?[0-9\s\-().\/]+$")

_POSSIBILITY_REASONS = {
    ValidationResult.TOO_SHORT: "too_short",
    ValidationResult.TOO_LONG: "too_long",
    ValidationResult.INVALID_COUNTRY_CODE: "invalid_country_code",
    ValidationResult.INVALID_LENGTH: "invalid_length",
}


def normalize_phone(raw: str, default_country: str | None = None) -> str:
    """Parses what people type or paste and returns E.164, or raises `InvalidPhone` with a reason.

    Accepted: spaces, dashes, dots and brackets; a leading `+` or `00`; national numbers when the
    organisation has a default country; and digits that already start with the country code but
    lack the `+` (the format Glific stores, e.g. `917834811114`).
    """
    text = _INVISIBLE.sub("", raw or "").strip()
    if not text:
        raise InvalidPhone("phone number is empty", reason="empty", value=raw)
    if not _ALLOWED.match(text):
        raise InvalidPhone(
            "phone number contains invalid characters", reason="not_a_number", value=raw
        )
    digits = re.sub(r"\D", "", text)
    if text.startswith("+"):
        candidates = ["+" + digits]
    elif digits.startswith("00"):
        candidates = ["+" + digits[2:]]
    elif default_country:
        candidates = [text, "+" + digits]
    else:
        candidates = ["+" + digits]
    first_error: InvalidPhone | None = None
    for candidate in candidates:
        try:
            return _parse_valid(candidate, default_country, raw)
        except InvalidPhone as exc:
            first_error = first_error or exc
    assert first_error is not None
    if not default_country and text.startswith("0") and not digits.startswith("00"):
        raise InvalidPhone(
            "national number without a country code, and the organisation has no default country",
            reason="missing_country_code",
            value=raw,
        )
    raise first_error


def _parse_valid(candidate: str, region: str | None, raw: str) -> str:
    try:
        number = phonenumbers.parse(candidate, None if candidate.startswith("+") else region)
    except NumberParseException as exc:
        reason = (
            "invalid_country_code"
            if exc.error_type == NumberParseException.INVALID_COUNTRY_CODE
            else "not_a_number"
        )
        raise InvalidPhone(f"not a phone number: {exc._msg}", reason=reason, value=raw) from exc
    possibility = phonenumbers.is_possible_number_with_reason(number)
    if possibility not in (ValidationResult.IS_POSSIBLE, ValidationResult.IS_POSSIBLE_LOCAL_ONLY):
        reason = _POSSIBILITY_REASONS.get(possibility, "invalid_number")
        raise InvalidPhone(f"impossible phone number ({reason})", reason=reason, value=raw)
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(
            "phone number is not valid for its country", reason="invalid_number", value=raw
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def is_supported_country(code: str) -> bool:
    return code in phonenumbers.SUPPORTED_REGIONS
