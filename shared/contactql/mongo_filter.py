"""A resolved contact query as one MongoDB filter, over the paths `documents` describes.

Only operators that MongoDB and FerretDB both implement: $and $or $nor $ne $exists $regex and
ranges. Must agree exactly with `evaluate`.
"""

from __future__ import annotations

import re
from typing import Any

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
from shared.mongo.client import Document

# Where each attribute is stored: as given (for "is set") and as compared (for equality).
STORED = {
    Attribute.ID: "_id",
    Attribute.NAME: "name",
    Attribute.PHONE: "phone",
    Attribute.EMAIL: "email",
    Attribute.LANGUAGE: "language",
    Attribute.STATUS: "status",
    Attribute.CATEGORY: "category",
    Attribute.GROUP: "groups",
    Attribute.CREATED_ON: "created_at",
    Attribute.LAST_SEEN_ON: "last_seen_at",
}
COMPARED = {
    Attribute.NAME: "name_sort",
    Attribute.EMAIL: "email_lc",
    Attribute.CATEGORY: "category_lc",
}
TYPED = {str: "lc", float: "number", bool: "boolean"}
_PHONE_TEXT = re.compile(r"[+0-9]+")


def query_filter(predicate: Predicate) -> Document:
    match predicate:
        case AllOf(terms):
            return {"$and": [query_filter(t) for t in terms]}
        case AnyOf(terms):
            return {"$or": [query_filter(t) for t in terms]}
        case IsSet(target, expected):
            if target.field is not None:
                return {f"fields.{target.field}": {"$exists": expected}}
            if target.attribute is Attribute.GROUP:
                # A first element: in some group (`groups` is a list, or absent when never set).
                return {"groups.0": {"$exists": expected}}
            path = _stored(target)
            return {path: {"$ne": None}} if expected else {path: None}
        case Equals(target, value, negated):
            return _equals(target, value, negated)
        case NameContains(prefixes):
            return {"$and": [{"name_words": {"$regex": "^" + re.escape(p)}} for p in prefixes]}
        case PhoneContains(fragment):
            if not _PHONE_TEXT.fullmatch(fragment):
                return {"phone": {"$in": []}}  # no phone holds it (and `$regex` takes no NUL)
            pattern = {"$regex": re.escape(fragment)}
            return {"$or": [{"phone": pattern}, {"secondary_phone": pattern}]}
        case NumberRange(target, low, high, low_inclusive, high_inclusive):
            bounds: dict[str, float] = {}
            if low is not None:
                bounds["$gte" if low_inclusive else "$gt"] = low
            if high is not None:
                bounds["$lte" if high_inclusive else "$lt"] = high
            return {f"fields.{target.field}.number": bounds}
        case TimeRange(target, start, end, negated):
            path = (
                f"fields.{target.field}.datetime" if target.field is not None else _stored(target)
            )
            window: dict[str, Any] = {}
            if start is not None:
                window["$gte"] = start
            if end is not None:
                window["$lt"] = end
            return {"$nor": [{path: window}]} if negated else {path: window}
    raise AssertionError(f"unknown predicate {predicate!r}")


def _stored(target: Target) -> str:
    assert target.attribute is not None
    return STORED[target.attribute]


def _equals(target: Target, value: str | float | bool, negated: bool) -> Document:
    if target.field is not None:
        path = f"fields.{target.field}.{TYPED[type(value)]}"
    elif target.attribute is Attribute.PHONE:
        either = [{"phone": value}, {"secondary_phone": value}]
        return {"$nor": either} if negated else {"$or": either}
    else:
        assert target.attribute is not None
        path = COMPARED.get(target.attribute, STORED[target.attribute])
    return {path: {"$ne": value}} if negated else {path: value}
