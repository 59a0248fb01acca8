"""Values as RapidPro reads them where no property says what they are: a whole query, a bare
term, and the phone numbers and URNs of `tel`, `whatsapp` and `urn` comparisons.

A contact's URNs here are its phone and secondary phone, reached over SMS (`tel`) or WhatsApp;
`urn` means either. Schemes RapidPro knows and Roster contacts never have are named so that a
query using one is refused rather than silently matching nobody.
"""

from __future__ import annotations

import re

from shared.contactql.errors import QueryError
from shared.contactql.names import searchable_words
from shared.contactql.syntax import Comparison, Operator
from shared.phone import InvalidPhone, normalize_phone

URN_SCHEMES = ("tel", "whatsapp")
ANY_URN = "urn"
FOREIGN_URN_SCHEMES = frozenset(
    {
        "discord",
        "email",
        "ext",
        "facebook",
        "fcm",
        "freshchat",
        "instagram",
        "jiochat",
        "line",
        "mailto",
        "rocketchat",
        "slack",
        "teams",
        "telegram",
        "twitter",
        "twitterid",
        "viber",
        "vk",
        "webchat",
        "wechat",
    }
)
# RapidPro searches URNs by at least 3 characters.
MIN_PARTIAL_URN = 3
# ASCII digits only, and the whole value (`fullmatch`), as Go's regular expressions read them.
_WHOLE_QUERY_PHONE = re.compile(r"\+?[0-9 .\-()]{5,}")
_PARTIAL_PHONE = re.compile(r"\+?[\-0-9]{4,}")
_NOT_PHONE_CHARACTER = re.compile(r"[^+0-9]")
_PHONE_FORMATTING = re.compile(r"[\s\-().]")
_URN = re.compile(r"([a-z][a-z0-9]*):(.+)", re.IGNORECASE | re.DOTALL)


def whole_query_phone(text: str, default_country: str | None) -> str | None:
    """The phone (E.164) a whole query is, when it is nothing but one valid phone number."""
    if not _WHOLE_QUERY_PHONE.fullmatch(text):
        return None
    try:
        return normalize_phone(text, default_country)
    except InvalidPhone:
        return None


def implicit_condition(value: str) -> Comparison:
    """A bare value: a URN (`tel:+254...`) is that URN; digits (`+254712`, `0803-123`) are part
    of a phone number; a value with a word of at least 2 characters is searched in names;
    anything shorter is a whole name (`j`)."""
    if urn := _URN.fullmatch(value):
        scheme = urn.group(1).lower()
        if scheme in URN_SCHEMES or scheme in FOREIGN_URN_SCHEMES:
            return Comparison(f"urns.{scheme}", Operator.EQ, urn.group(2))
    if _PARTIAL_PHONE.fullmatch(value):
        return Comparison("urns.tel", Operator.CONTAINS, _NOT_PHONE_CHARACTER.sub("", value))
    if searchable_words(value):
        return Comparison("name", Operator.CONTAINS, value)
    return Comparison("name", Operator.EQ, value)


def scheme_of(scheme: str, value: str) -> tuple[str, str]:
    """`urn = tel:+254...` names its scheme in the value: the scheme and the address."""
    if scheme == ANY_URN and (urn := _URN.fullmatch(value)) and urn.group(1).lower() in URN_SCHEMES:
        return urn.group(1).lower(), urn.group(2)
    return scheme, value


def phone_fragment(value: str) -> str:
    """What `~` looks for in phone numbers: the value without formatting, of 3 characters at
    least (RapidPro counts the value as typed; counting what is searched keeps the printed
    form, which shows it, readable again)."""
    fragment = _PHONE_FORMATTING.sub("", value)
    if len(fragment) < MIN_PARTIAL_URN:
        raise QueryError(
            "invalid_partial_urn",
            f"searching phone numbers needs at least {MIN_PARTIAL_URN} characters",
            min_value_length=MIN_PARTIAL_URN,
            value=value,
        )
    return fragment


def phone_address(scheme: str, value: str, default_country: str | None) -> str:
    """The phone (E.164) a `tel`, `whatsapp` or `urn` value names; what is not a valid number
    keeps its digits (or itself), matching no contact, as an unknown URN matches nobody."""
    if scheme == "whatsapp" and value.isdigit():
        value = "+" + value  # WhatsApp writes international numbers without their `+`
    try:
        return normalize_phone(value, default_country)
    except InvalidPhone:
        digits = "".join(c for c in value if c.isdigit())
        return "+" + digits if digits else value
