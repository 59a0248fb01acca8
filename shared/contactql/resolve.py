"""Gives a parsed query its meaning for one organisation: properties, value types, day ranges.

RapidPro semantics: text compares trimmed and case-insensitively; `~` only for name (word
prefixes of at least 2 characters) and URNs (at least 3 characters); `> < >= <=` only for numbers
and dates; dates compare by whole day in the organisation's timezone; `= ""` is "not set" and
`!= ""` is "set"; `!=` also matches contacts without a value. A contact's URNs are its phone and
secondary phone (`tel`, `whatsapp`, or `urn` for either).

Each query is also printed as RapidPro prints it (`fields.` and `urns.` prefixes, Go-quoted
values), so it can go back to a RapidPro-compatible tool; both forms parse to the same predicate.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import get_args
from zoneinfo import ZoneInfo

from shared.catch_up import CatchUp, once_known
from shared.contactql.bare_values import (
    ANY_URN,
    URN_SCHEMES,
    implicit_condition,
    phone_address,
    phone_fragment,
    scheme_of,
    whole_query_phone,
)
from shared.contactql.errors import QueryError
from shared.contactql.names import MIN_NAME_TOKEN, searchable_words
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
from shared.contactql.syntax import (
    Combination,
    Comparison,
    Node,
    Operator,
    check_length,
    render,
    render_rapidpro,
)
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

ALIASES = {"phone": Attribute.PHONE, "uuid": Attribute.ID}
TEXT_ATTRIBUTES = (Attribute.NAME, Attribute.EMAIL, Attribute.CATEGORY)
SETTABLE = (
    *TEXT_ATTRIBUTES,
    Attribute.PHONE,
    Attribute.LANGUAGE,
    Attribute.LAST_SEEN_ON,
    Attribute.GROUP,
)
# Only active contacts are ever in a group, so a smart group cannot select by status either.
NOT_IN_SMART_GROUPS = (Attribute.ID, Attribute.GROUP, Attribute.STATUS)
_LANGUAGE = re.compile(r"^[a-z]{3}$")
ORDERING = (Operator.GT, Operator.LT, Operator.GTE, Operator.LTE)
# `= ""` and `!= ""`; any other operator with an empty value is refused as that operator is.
SET_CHECKS = (Operator.EQ, Operator.NE)


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
    """A query ready to run: its normalized text (Roster's form, and RapidPro's printed form:
    both parse back to the same `predicate`), what it tests, and what it refers to."""

    text: str
    rapidpro_text: str
    predicate: Predicate
    fields: tuple[str, ...]
    groups: tuple[str, ...]
    attributes: tuple[str, ...]

    @property
    def allowed_in_smart_group(self) -> bool:
        return not any(a in NOT_IN_SMART_GROUPS for a in self.attributes)


def parse_query(text: str, context: QueryContext) -> ContactQuery:
    """A query as RapidPro reads it: a whole query that is one valid phone number means that
    phone; anything else is parsed (`syntax`) and each part given its meaning here."""
    text = text.strip()
    check_length(text)
    phone = whole_query_phone(text, context.default_country)
    syntax = Comparison("tel", Operator.EQ, phone) if phone else parse_syntax(text)
    resolver = _Resolver(context)
    resolved = resolver.resolve(syntax)
    return ContactQuery(
        text=render(resolved.own),
        rapidpro_text=render_rapidpro(resolved.printed),
        predicate=resolved.predicate,
        fields=tuple(sorted(resolver.fields)),
        groups=tuple(sorted(resolver.groups)),
        attributes=tuple(sorted(resolver.attributes)),
    )


@dataclass(frozen=True)
class _Resolved:
    """One part of a query: in Roster's form, in RapidPro's printed form, and what it tests."""

    own: Node
    printed: Node
    predicate: Predicate


@dataclass(frozen=True)
class _Meaning:
    """What one comparison tests, with its value as each form shows it."""

    predicate: Predicate
    shown: str
    printed: str | None = None  # RapidPro's form, when it differs from `shown`


class _Resolver:
    def __init__(self, context: QueryContext) -> None:
        self.context = context
        self.fields: set[str] = set()
        self.groups: set[str] = set()
        self.attributes: set[str] = set()

    def resolve(self, node: Node) -> _Resolved:
        if isinstance(node, Combination):
            parts = [self.resolve(term) for term in node.terms]
            predicates = tuple(p.predicate for p in parts)
            return _Resolved(
                own=Combination(node.operator, tuple(p.own for p in parts)),
                printed=Combination(node.operator, tuple(p.printed for p in parts)),
                predicate=AllOf(predicates) if node.operator == "AND" else AnyOf(predicates),
            )
        if node.property is None:
            return self.comparison(implicit_condition(node.value))
        return self.comparison(node)

    def comparison(self, node: Comparison) -> _Resolved:
        assert node.property is not None
        kind, name = _property(node.property)
        value = node.value.strip()
        if kind == "urns":
            return self.urn(name, URN_SCHEMES, node.operator, value)
        attribute = _attribute(name) if kind is None else None
        if attribute is Attribute.PHONE or (kind is None and name in (*URN_SCHEMES, ANY_URN)):
            scheme = "tel" if attribute is Attribute.PHONE else name
            return self.urn(scheme, (*URN_SCHEMES, ANY_URN), node.operator, value)
        if attribute is not None:
            self.attributes.add(attribute.value)
            meaning = self.attribute(attribute, node.operator, value)
            printed_name = "uuid" if attribute is Attribute.ID else attribute.value
            return self.meant(attribute.value, printed_name, node.operator, meaning)
        field_type = self.context.fields.get(name)
        if field_type is None:
            raise QueryError(
                "unknown_property", f"there is no property or field {name!r}", property=name
            )
        self.fields.add(name)
        meaning = self.custom_field(name, field_type, node.operator, value)
        # A field named like an attribute keeps its prefix, or it would read back as the attribute.
        shadowed = _attribute(name) is not None or name in (*URN_SCHEMES, ANY_URN)
        own_name = f"fields.{name}" if shadowed else name
        return self.meant(own_name, f"fields.{name}", node.operator, meaning)

    @staticmethod
    def meant(own_name: str, printed_name: str, op: Operator, meaning: _Meaning) -> _Resolved:
        printed = meaning.shown if meaning.printed is None else meaning.printed
        return _Resolved(
            own=Comparison(own_name, op, meaning.shown),
            printed=Comparison(printed_name, op, printed),
            predicate=meaning.predicate,
        )

    def urn(self, scheme: str, known: Collection[str], op: Operator, value: str) -> _Resolved:
        """`tel`, `whatsapp` (`urns.` or not) and `urn` (any of them): the contact's phone or
        secondary phone. WhatsApp addresses are printed as WhatsApp writes them, without `+`."""
        if scheme not in known:
            raise QueryError(
                "unknown_property",
                f"Roster contacts have no {scheme} URNs: their URNs are tel and whatsapp",
                property=f"urns.{scheme}",
            )
        self.attributes.add(Attribute.PHONE.value)
        meaning = self.phone(scheme, op, value)
        if scheme == "whatsapp" and meaning.shown.startswith("+") and op is not Operator.CONTAINS:
            meaning = _Meaning(meaning.predicate, meaning.shown, meaning.shown.removeprefix("+"))
        printed_name = scheme if scheme == ANY_URN else f"urns.{scheme}"
        return self.meant(scheme, printed_name, op, meaning)

    def attribute(self, attribute: Attribute, op: Operator, value: str) -> _Meaning:
        target = Target(attribute=attribute)
        if value == "" and op in SET_CHECKS:
            return _Meaning(self.set_check(target, op), value)
        if attribute is Attribute.NAME and op is Operator.CONTAINS:
            prefixes = searchable_words(value)
            if not prefixes:
                raise QueryError(
                    "invalid_partial_name",
                    f"searching names needs a word of at least {MIN_NAME_TOKEN} bytes",
                    min_token_length=MIN_NAME_TOKEN,
                    value=value,
                )
            return _Meaning(NameContains(prefixes), value)
        if attribute in (Attribute.CREATED_ON, Attribute.LAST_SEEN_ON):
            predicate, day = self.day(target, op, value)
            return _Meaning(predicate, value, day.isoformat())
        _no_contains(attribute.value, op)
        _no_ordering(attribute.value, op)
        negated = op is Operator.NE
        if attribute is Attribute.STATUS:
            status = value.lower()
            if status not in get_args(ContactStatusName):
                raise QueryError(
                    "invalid_status", f"{value!r} is not a contact status", value=value
                )
            return _Meaning(Equals(target, status, negated), status)
        if attribute is Attribute.LANGUAGE:
            # A code as stored, or a language as people write it (`English`, `fr`), read as
            # contacts' languages are read when they are stored.
            code = value.lower() if _LANGUAGE.match(value.lower()) else iso639_3(value)
            if code is None:
                raise QueryError("invalid_language", f"{value!r} is not a language", value=value)
            return _Meaning(Equals(target, code, negated), code)
        if attribute is Attribute.GROUP:
            group_id = self.context.groups.get(value.casefold()) or self.context.groups.get(value)
            if group_id is None:
                raise QueryError("invalid_group", f"there is no group {value!r}", value=value)
            self.groups.add(group_id)
            return _Meaning(Equals(target, group_id, negated), value)
        if attribute is Attribute.ID:
            return _Meaning(Equals(target, value, negated), value)
        return _Meaning(Equals(target, value.casefold(), negated), value)

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

    def phone(self, scheme: str, op: Operator, value: str) -> _Meaning:
        target = Target(attribute=Attribute.PHONE)
        if value == "" and op in SET_CHECKS:
            return _Meaning(self.set_check(target, op), value)
        _no_ordering(scheme, op)
        scheme, value = scheme_of(scheme, value)
        if op is Operator.CONTAINS:
            fragment = phone_fragment(value)
            return _Meaning(PhoneContains(fragment), fragment)
        phone = phone_address(scheme, value, self.context.default_country)
        return _Meaning(Equals(target, phone, op is Operator.NE), phone)

    def day(self, target: Target, op: Operator, value: str) -> tuple[Predicate, date]:
        """Whole days in the organisation's timezone."""
        _no_contains(target.attribute.value if target.attribute else target.field or "", op)
        day = _query_day(value, self.context.timezone)
        if day is None:
            raise QueryError("invalid_date", f"{value!r} is not a date (YYYY-MM-DD)", value=value)
        try:
            start, end = _day_bounds(day, self.context.timezone)
        except OverflowError:
            raise QueryError("invalid_date", f"{value!r} is out of range", value=value) from None
        match op:
            case Operator.EQ:
                return TimeRange(target, start, end), day
            case Operator.NE:
                return TimeRange(target, start, end, negated=True), day
            case Operator.GT:
                return TimeRange(target, end, None), day
            case Operator.GTE:
                return TimeRange(target, start, None), day
            case Operator.LT:
                return TimeRange(target, None, start), day
            case _:
                return TimeRange(target, None, end), day

    def custom_field(self, key: str, field_type: FieldType, op: Operator, value: str) -> _Meaning:
        target = Target(field=key)
        if value == "" and op in SET_CHECKS:
            return _Meaning(self.set_check(target, op), value)
        _no_contains(key, op)
        if field_type is FieldType.DATETIME:
            predicate, day = self.day(target, op, value)
            return _Meaning(predicate, value, day.isoformat())
        if field_type is FieldType.NUMBER:
            number = parse_number(value)
            if number is None:
                raise QueryError("invalid_number", f"{value!r} is not a number", value=value)
            return _Meaning(_number(target, op, float(number)), value, _plain(number))
        _no_ordering(key, op)
        if field_type is FieldType.BOOLEAN:
            flag = parse_boolean(value)
            if flag is None:
                raise QueryError("invalid_boolean", f"{value!r} is not yes/no", value=value)
            return _Meaning(Equals(target, flag, op is Operator.NE), value)
        return _Meaning(Equals(target, value.casefold(), op is Operator.NE), value)


def _property(text: str) -> tuple[str | None, str]:
    """`fields.age` -> ("fields", "age"), `urns.tel` -> ("urns", "tel"), `age` -> (None, "age")."""
    if "." not in text:
        return None, text
    kind, name = text.split(".", 1)
    if kind not in ("fields", "urns"):
        raise QueryError(
            "unknown_property_type",
            f"unknown property type {kind!r}: properties are prefixed fields. or urns.",
            type=kind,
        )
    return kind, name


def _plain(number: Decimal) -> str:
    """A number as RapidPro reads one (`1250.5`, not `1,250.5` or `1.2505E+3`)."""
    return format(number.normalize(), "f")


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
            operator=op.value,
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
