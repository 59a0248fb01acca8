"""Gives a parsed query its meaning for one organisation: properties, value types, day ranges.

RapidPro semantics: text compares trimmed and case-insensitively; `~` only for name (word
prefixes of at least 2 characters) and phone (at least 3 digits); `> < >= <=` only for numbers
and dates; dates compare by whole day in the organisation's timezone; `= ""` is "not set" and
`!= ""` is "set"; `!=` also matches contacts without a value.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import get_args
from zoneinfo import ZoneInfo

from shared.catch_up import CatchUp, once_known
from shared.contactql.errors import QueryError
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
from shared.contactql.syntax import Combination, Comparison, Node, Operator, render
from shared.contactql.syntax import parse as parse_syntax
from shared.contactql.values import (
    FieldType,
    parse_boolean,
    parse_datetime,
    parse_day,
    parse_number,
)
from shared.contracts.contacts import ContactStatusName
from shared.languages import iso639_3
from shared.phone import InvalidPhone, normalize_phone

ALIASES = {"phone": Attribute.PHONE, "uuid": Attribute.ID}
TEXT_ATTRIBUTES = (Attribute.NAME, Attribute.EMAIL, Attribute.CATEGORY)
SETTABLE = (*TEXT_ATTRIBUTES, Attribute.PHONE, Attribute.LANGUAGE, Attribute.LAST_SEEN_ON)
# Only active contacts are ever in a group, so a smart group cannot select by status either.
NOT_IN_SMART_GROUPS = (Attribute.ID, Attribute.GROUP, Attribute.STATUS)
_LANGUAGE = re.compile(r"^[a-z]{3}$")
_PHONE_LIKE = re.compile(r"^\+?[\d\s\-().]+$")
_WORD = re.compile(r"\w+")
ORDERING = (Operator.GT, Operator.LT, Operator.GTE, Operator.LTE)


@dataclass(frozen=True)
class QueryContext:
    """What the organisation's queries are read against."""

    timezone: str = "UTC"
    default_country: str | None = None
    fields: Mapping[str, FieldType] = field(default_factory=dict)
    # Group names (casefolded) and ids, both mapping to the group id.
    groups: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ContactQuery:
    """A query ready to run: its normalized text, what it tests, and what it refers to."""

    text: str
    predicate: Predicate
    fields: tuple[str, ...]
    groups: tuple[str, ...]
    attributes: tuple[str, ...]

    @property
    def allowed_in_smart_group(self) -> bool:
        return not any(a in NOT_IN_SMART_GROUPS for a in self.attributes)


def parse_query(text: str, context: QueryContext) -> ContactQuery:
    resolver = _Resolver(context)
    node, predicate = resolver.resolve(parse_syntax(text))
    return ContactQuery(
        text=render(node),
        predicate=predicate,
        fields=tuple(sorted(resolver.fields)),
        groups=tuple(sorted(resolver.groups)),
        attributes=tuple(sorted(resolver.attributes)),
    )


def words(text: str) -> list[str]:
    """How names are split for `~`: casefolded runs of letters and digits, accents dropped
    (so `ade` finds "Adé" and `ib` finds "İbrahim")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return _WORD.findall("".join(c for c in decomposed if not unicodedata.combining(c)))


class _Resolver:
    def __init__(self, context: QueryContext) -> None:
        self.context = context
        self.fields: set[str] = set()
        self.groups: set[str] = set()
        self.attributes: set[str] = set()

    def resolve(self, node: Node) -> tuple[Node, Predicate]:
        if isinstance(node, Combination):
            resolved = [self.resolve(term) for term in node.terms]
            nodes = tuple(n for n, _ in resolved)
            predicates = tuple(p for _, p in resolved)
            combined = AllOf(predicates) if node.operator == "AND" else AnyOf(predicates)
            return Combination(node.operator, nodes), combined
        if node.property is None:
            return self.implicit(node.value)
        return self.comparison(node)

    def implicit(self, value: str) -> tuple[Node, Predicate]:
        """A bare phone number means `tel = <E.164>`, any other bare value `name ~ value`."""
        text = value.strip()
        if _PHONE_LIKE.match(text) and sum(c.isdigit() for c in text) >= 5:
            try:
                phone = normalize_phone(text, self.context.default_country)
            except InvalidPhone:
                pass
            else:
                return self.comparison(Comparison(Attribute.PHONE.value, Operator.EQ, phone))
        return self.comparison(Comparison(Attribute.NAME.value, Operator.CONTAINS, value))

    def comparison(self, node: Comparison) -> tuple[Node, Predicate]:
        assert node.property is not None
        prop = node.property
        forced_field = prop.startswith("fields.")
        name = prop.removeprefix("fields.") if forced_field else prop
        attribute = None if forced_field else _attribute(name)
        value = node.value.strip()
        if attribute is not None:
            self.attributes.add(attribute.value)
            predicate, shown = self.attribute(attribute, node.operator, value)
            return Comparison(attribute.value, node.operator, shown), predicate
        field_type = self.context.fields.get(name)
        if field_type is None:
            raise QueryError(
                "unknown_property", f"there is no property or field {name!r}", property=name
            )
        self.fields.add(name)
        predicate = self.custom_field(name, field_type, node.operator, value)
        return Comparison(name, node.operator, value), predicate

    def attribute(self, attribute: Attribute, op: Operator, value: str) -> tuple[Predicate, str]:
        target = Target(attribute=attribute)
        if value == "":
            return self.set_check(target, op), value
        if attribute is Attribute.NAME and op is Operator.CONTAINS:
            prefixes = tuple(w for w in words(value) if len(w) >= 2)
            if not prefixes:
                raise QueryError(
                    "unsupported_contains",
                    "searching names needs a word of at least 2 characters",
                    property="name",
                    value=value,
                )
            return NameContains(prefixes), value
        if attribute is Attribute.PHONE:
            return self.phone(op, value)
        if attribute in (Attribute.CREATED_ON, Attribute.LAST_SEEN_ON):
            return self.day(target, op, value), value
        _no_contains(attribute.value, op)
        _no_ordering(attribute.value, op)
        if attribute is Attribute.STATUS:
            status = value.lower()
            if status not in get_args(ContactStatusName):
                raise QueryError(
                    "invalid_status", f"{value!r} is not a contact status", value=value
                )
            return Equals(target, status, op is Operator.NE), status
        if attribute is Attribute.LANGUAGE:
            # A code as stored, or a language as people write it (`English`, `fr`), read as
            # contacts' languages are read when they are stored.
            code = value.lower() if _LANGUAGE.match(value.lower()) else iso639_3(value)
            if code is None:
                raise QueryError("invalid_language", f"{value!r} is not a language", value=value)
            return Equals(target, code, op is Operator.NE), code
        if attribute is Attribute.GROUP:
            group_id = self.context.groups.get(value.casefold()) or self.context.groups.get(value)
            if group_id is None:
                raise QueryError("invalid_group", f"there is no group {value!r}", value=value)
            self.groups.add(group_id)
            return Equals(target, group_id, op is Operator.NE), value
        if attribute is Attribute.ID:
            return Equals(target, value, op is Operator.NE), value
        return Equals(target, value.casefold(), op is Operator.NE), value

    def set_check(self, target: Target, op: Operator) -> Predicate:
        if target.attribute is not None and target.attribute not in SETTABLE:
            raise QueryError(
                "unsupported_setcheck",
                f"{target.attribute.value} cannot be tested for being set",
                property=target.attribute.value,
            )
        if op not in (Operator.EQ, Operator.NE):
            raise QueryError(
                "unsupported_setcheck", 'only = "" and != "" test whether a value is set'
            )
        return IsSet(target, expected=op is Operator.NE)

    def phone(self, op: Operator, value: str) -> tuple[Predicate, str]:
        target = Target(attribute=Attribute.PHONE)
        _no_ordering("tel", op)
        if op is Operator.CONTAINS:
            digits = "".join(c for c in value if c.isdigit())
            if len(digits) < 3:
                raise QueryError(
                    "unsupported_contains",
                    "searching phone numbers needs at least 3 digits",
                    property="tel",
                    value=value,
                )
            return PhoneContains(digits), value
        try:
            phone = normalize_phone(value, self.context.default_country)
        except InvalidPhone:
            phone = "+" + "".join(c for c in value if c.isdigit())
        return Equals(target, phone, op is Operator.NE), phone

    def day(self, target: Target, op: Operator, value: str) -> Predicate:
        """Whole days in the organisation's timezone."""
        _no_contains(target.attribute or target.field or "", op)
        day = _query_day(value, self.context.timezone)
        if day is None:
            raise QueryError("invalid_date", f"{value!r} is not a date (YYYY-MM-DD)", value=value)
        try:
            start, end = _day_bounds(day, self.context.timezone)
        except OverflowError:
            raise QueryError("invalid_date", f"{value!r} is out of range", value=value) from None
        match op:
            case Operator.EQ:
                return TimeRange(target, start, end)
            case Operator.NE:
                return TimeRange(target, start, end, negated=True)
            case Operator.GT:
                return TimeRange(target, end, None)
            case Operator.GTE:
                return TimeRange(target, start, None)
            case Operator.LT:
                return TimeRange(target, None, start)
            case _:
                return TimeRange(target, None, end)

    def custom_field(self, key: str, field_type: FieldType, op: Operator, value: str) -> Predicate:
        target = Target(field=key)
        if value == "":
            return self.set_check(target, op)
        _no_contains(key, op)
        if field_type is FieldType.DATETIME:
            return self.day(target, op, value)
        if field_type is FieldType.NUMBER:
            number = parse_number(value)
            if number is None:
                raise QueryError("invalid_number", f"{value!r} is not a number", value=value)
            return _number(target, op, float(number))
        _no_ordering(key, op)
        if field_type is FieldType.BOOLEAN:
            flag = parse_boolean(value)
            if flag is None:
                raise QueryError("invalid_boolean", f"{value!r} is not yes/no", value=value)
            return Equals(target, flag, op is Operator.NE)
        return Equals(target, value.casefold(), op is Operator.NE)


def _attribute(name: str) -> Attribute | None:
    if name in ALIASES:
        return ALIASES[name]
    try:
        return Attribute(name)
    except ValueError:
        return None


def _no_contains(prop: str, op: Operator) -> None:
    if op is Operator.CONTAINS:
        raise QueryError(
            "unsupported_contains", f"~ (contains) is not supported for {prop}", property=prop
        )


def _no_ordering(prop: str, op: Operator) -> None:
    if op in ORDERING:
        raise QueryError(
            "unsupported_comparison",
            f"{op.value} only compares numbers and dates, not {prop}",
            property=prop,
        )


def _number(target: Target, op: Operator, number: float) -> Predicate:
    match op:
        case Operator.EQ:
            return Equals(target, number)
        case Operator.NE:
            return Equals(target, number, negated=True)
        case Operator.GT:
            return NumberRange(target, low=number, low_inclusive=False)
        case Operator.GTE:
            return NumberRange(target, low=number)
        case Operator.LT:
            return NumberRange(target, high=number, high_inclusive=False)
        case _:
            return NumberRange(target, high=number)


def _query_day(value: str, timezone: str) -> date | None:
    """A date, or a date and time whose day (in the organisation's timezone) is meant."""
    day = parse_day(value)
    if day is not None:
        return day
    moment = parse_datetime(value, timezone)
    return moment.astimezone(ZoneInfo(timezone)).date() if moment is not None else None


def _day_bounds(day: date, timezone: str) -> tuple[datetime, datetime]:
    zone = ZoneInfo(timezone)
    start = datetime.combine(day, time(), zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(), zone).astimezone(UTC)
    return start, end


# Why a query is refused when it names what another service owns: a field (the contacts
# service's, as the groups service knows them) or a group (the groups service's, as the contacts
# service knows them).
UNKNOWN_FIELD = "unknown_property"
UNKNOWN_GROUP = "invalid_group"


async def parse_when_known(
    text: str,
    context: Callable[[], Awaitable[QueryContext]],
    catch_up: CatchUp,
    news_from_others: Collection[str],
) -> ContactQuery:
    """`parse_query`, waiting (`catch_up`) while the query is refused for naming what only
    another service could have told this one (`news_from_others`: `UNKNOWN_FIELD`,
    `UNKNOWN_GROUP`), the context read again each time. What the service owns itself is
    refused at once: a typo in a query answers without a wait."""

    async def attempt() -> ContactQuery:
        return parse_query(text, await context())

    return await once_known(attempt, catch_up, news_from_others)
