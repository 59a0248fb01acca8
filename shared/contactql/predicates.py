"""A query after resolution: what exactly to test, independent of where contacts are stored.

The MongoDB filter (adapters) and the in-memory evaluator both read this form, and nothing else,
so they cannot drift apart in how they understand a query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Attribute(StrEnum):
    """Contact attributes a query can test, besides custom fields."""

    ID = "id"
    NAME = "name"
    PHONE = "tel"
    EMAIL = "email"
    LANGUAGE = "language"
    STATUS = "status"
    CATEGORY = "category"
    GROUP = "group"
    CREATED_ON = "created_on"
    LAST_SEEN_ON = "last_seen_on"


@dataclass(frozen=True)
class Target:
    """An attribute, or the custom field `field` (then `attribute` is None)."""

    attribute: Attribute | None = None
    field: str | None = None


@dataclass(frozen=True)
class IsSet:
    """Whether the target has a value; for `group`, whether the contact is in any group."""

    target: Target
    expected: bool


@dataclass(frozen=True)
class Equals:
    """Exact match; text is compared casefolded and trimmed (`value` is already casefolded)."""

    target: Target
    value: str | float | bool
    negated: bool = False


@dataclass(frozen=True)
class NameContains:
    """Every prefix starts some word of the name."""

    prefixes: tuple[str, ...]


@dataclass(frozen=True)
class PhoneContains:
    """`fragment` (digits, perhaps a `+`) appears in the phone or the secondary phone."""

    fragment: str


@dataclass(frozen=True)
class NumberRange:
    """`low`/`high` bounds; `inclusive` says whether each bound itself matches."""

    target: Target
    low: float | None = None
    high: float | None = None
    low_inclusive: bool = True
    high_inclusive: bool = True


@dataclass(frozen=True)
class TimeRange:
    """start <= t < end (either side open when None); `negated` matches outside, and unset."""

    target: Target
    start: datetime | None
    end: datetime | None
    negated: bool = False


@dataclass(frozen=True)
class AllOf:
    terms: tuple[Predicate, ...]


@dataclass(frozen=True)
class AnyOf:
    terms: tuple[Predicate, ...]


Predicate = IsSet | Equals | NameContains | PhoneContains | NumberRange | TimeRange | AllOf | AnyOf


def required_group(predicate: Predicate) -> str | None:
    """A group every contact matching `predicate` is in: `group = X` alone, or as a term of a
    top-level AND. Its members can then be walked instead of the organisation's contacts."""
    match predicate:
        case Equals(Target(attribute=Attribute.GROUP), str(group_id), False):
            return group_id
        case AllOf(terms):
            for term in terms:
                required = required_group(term)
                if required is not None:
                    return required
    return None
