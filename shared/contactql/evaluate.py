"""Answers a resolved query for one contact in memory (smart groups test contacts as they change).

Must agree exactly with the MongoDB filter built from the same predicate (a property-based test
checks that on real data).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from shared.contactql.names import words
from shared.contactql.predicates import (
    AllOf,
    AnyOf,
    Attribute,
    Equals,
    IsSet,
    NameContains,
    NumberRange,
    PhoneContains,
    Predicate,
    Target,
    TimeRange,
)
from shared.contactql.values import FieldValue


class QueryableContact(Protocol):
    """What a query can test: the contacts service's aggregate and other services' projections
    of it both have this shape. `status` is the status name (a str or StrEnum)."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str | None: ...
    @property
    def phone(self) -> str | None: ...
    @property
    def secondary_phone(self) -> str | None: ...
    @property
    def email(self) -> str | None: ...
    @property
    def category(self) -> str | None: ...
    @property
    def language(self) -> str | None: ...
    @property
    def status(self) -> str: ...
    @property
    def groups(self) -> Sequence[str]: ...
    @property
    def fields(self) -> Mapping[str, FieldValue]: ...
    @property
    def created_at(self) -> datetime | None: ...
    @property
    def last_seen_at(self) -> datetime | None: ...


def matches(predicate: Predicate, contact: QueryableContact) -> bool:
    match predicate:
        case AllOf(terms):
            return all(matches(t, contact) for t in terms)
        case AnyOf(terms):
            return any(matches(t, contact) for t in terms)
        case IsSet(target, expected):
            return _is_set(contact, target) is expected
        case Equals(target, value, negated):
            return _equals(contact, target, value) is not negated
        case NameContains(prefixes):
            names = words(contact.name or "")
            return all(any(w.startswith(p) for w in names) for p in prefixes)
        case PhoneContains(fragment):
            return any(fragment in (p or "") for p in (contact.phone, contact.secondary_phone))
        case NumberRange():
            return _in_number_range(_typed(contact, predicate.target), predicate)
        case TimeRange(target, start, end, negated):
            moment = _moment(contact, target)
            inside = (
                moment is not None
                and (start is None or moment >= start)
                and (end is None or moment < end)
            )
            return inside is not negated
    raise AssertionError(f"unknown predicate {predicate!r}")


def _is_set(contact: QueryableContact, target: Target) -> bool:
    if target.field is not None:
        return target.field in contact.fields
    attribute = target.attribute
    if attribute is Attribute.PHONE:
        return contact.phone is not None
    if attribute is Attribute.LAST_SEEN_ON:
        return contact.last_seen_at is not None
    if attribute is Attribute.GROUP:
        return len(contact.groups) > 0
    assert attribute is not None
    return getattr(contact, attribute.value) is not None


def _equals(contact: QueryableContact, target: Target, value: Any) -> bool:
    if target.field is not None:
        typed = _typed(contact, target)
        if isinstance(typed, str):
            return typed.casefold() == value
        return typed is not None and typed == value and type(typed) is type(value)
    attribute = target.attribute
    if attribute is Attribute.ID:
        return contact.id == value
    if attribute is Attribute.PHONE:
        return value in (contact.phone, contact.secondary_phone)
    if attribute is Attribute.GROUP:
        return value in contact.groups
    if attribute is Attribute.STATUS:
        return str(contact.status) == value
    assert attribute is not None
    stored = getattr(contact, attribute.value)
    return stored is not None and stored.casefold() == value


def _typed(contact: QueryableContact, target: Target) -> str | float | bool | datetime | None:
    """The value as stored for querying: numbers as floats (FerretDB has no decimal type)."""
    assert target.field is not None
    stored: FieldValue | None = contact.fields.get(target.field)
    if stored is None:
        return None
    if stored.number is not None:
        return float(stored.number)
    if stored.datetime is not None:
        return stored.datetime
    if stored.boolean is not None:
        return stored.boolean
    return stored.text


def _in_number_range(value: object, rng: NumberRange) -> bool:
    if not isinstance(value, float):
        return False
    if rng.low is not None and (value < rng.low or (value == rng.low and not rng.low_inclusive)):
        return False
    return not (
        rng.high is not None
        and (value > rng.high or (value == rng.high and not rng.high_inclusive))
    )


def _moment(contact: QueryableContact, target: Target) -> datetime | None:
    if target.field is not None:
        typed = _typed(contact, target)
        return typed if isinstance(typed, datetime) else None
    if target.attribute is Attribute.CREATED_ON:
        return contact.created_at
    return contact.last_seen_at
