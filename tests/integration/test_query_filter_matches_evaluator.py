"""The MongoDB filter and the in-memory evaluator give the same answer to every query.

Lists and counts run a query as a MongoDB filter (`query_filter`), while smart groups test one
contact at a time in memory (`evaluate.matches`). If the two disagreed, a contact could be in a
group whose query does not list it. Hypothesis generates contacts (names whose words collide,
phones, times on day boundaries, typed custom fields, groups) and queries over every property and
operator, in the forms RapidPro users write (bare URNs and phone fragments, one-letter names,
`urn`, `urns.` and `fields.` prefixes, group set checks). The contacts are stored as the
repository stores them, in the real store, and the contacts the store returns must be exactly the
contacts the evaluator matches. Each query's two printed forms (Roster's, RapidPro's) must parse
back to the same predicate.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, event, given, note
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from services.contacts.adapters.contact_collection import ContactCollection, new_document
from services.contacts.adapters.contact_repository import MongoContactRepository
from services.contacts.adapters.documents import contact_from_document
from services.contacts.domain.errors import InvalidFieldValue
from services.contacts.domain.fields import coerce_value
from services.contacts.domain.model import Contact, ContactStatus
from services.contacts.domain.values import (
    MAX_CATEGORY,
    MAX_NAME,
    clean_email,
    clean_language,
    clean_text,
)
from shared.contactql.errors import QueryError
from shared.contactql.evaluate import matches
from shared.contactql.mongo_filter import query_filter
from shared.contactql.resolve import QueryContext, parse_query
from shared.contactql.values import FieldType, FieldValue
from shared.mongo.client import Document, connect_store
from shared.mongo.outbox import OutboxWakeup
from shared.phone import normalize_phone
from shared.settings import ServiceSettings

MAX_EXAMPLES = 200  # about 20 s against FerretDB on 2 cores, 3-10 queries each
DEFAULT_COUNTRY = "NG"
TIMEZONES = ("Africa/Lagos", "UTC", "America/New_York", "Asia/Kathmandu")
# 8-13 March 2024: New York moves its clocks on the 10th.
DAYS = tuple(date(2024, 3, 8) + timedelta(days=i) for i in range(6))
FIELD_TYPES = {
    "age": FieldType.NUMBER,
    "district": FieldType.DISTRICT,
    "dob": FieldType.DATETIME,
    "vip": FieldType.BOOLEAN,
}
GROUP_NAMES = {
    "farmers": "g1",
    "g1": "g1",
    "traders": "g2",
    "g2": "g2",
    "big buyers": "g3",
    "g3": "g3",
}

NAMES = (
    "Amina Bello",
    "amina",
    "AMINA",
    "Bob",
    "  Bob  ",
    "Bobby Brown",
    "Bello Musa-Amina",
    "Chinedu O'Brien",
    "Ọlá Adé",
    "Straße Müller",
    "İbrahim",
    "bob2 x",
    "j",
    "J Doe",
)
NAME_PREFIXES = (
    "am",
    "ami",
    "amina",
    "AMI",
    "be",
    "Bel",
    "bello",
    "bo",
    "bob",
    "bobby",
    "bob2",
    "br",
    "mu",
    "musa",
    "ch",
    "brien",
    "O'Br",
    "ọl",
    "ọlá",
    "ad",
    "stra",
    "strasse",
    "straße",
    "mü",
    "ib",
    "İbra",  # casefolds to "i̇bra": the words "i" and "bra"
    "anon",
    "zz",
    "123",
)
EMAILS = ("amina@example.com", "Amina@EXAMPLE.com", "bob@farm.ng", "BOB@farm.ng")
CATEGORIES = ("Farmer", " farmer", "FARMER", "Trader", "Big Buyer", "big  buyer")
LANGUAGES = ("eng", "hau", "yor", "ENG")
DISTRICTS = ("Ikeja", " ikeja", "IKEJA", "Kano Municipal", "Port Harcourt", "Ọ̀yọ́", "Straße")
AGES = ("30", "30.5", "30.50", "1,000", "-0", "0", "1e3", "17.999", " 18 ", "0.1", "1e-400")
NUMBERS = ("30", "30.5", "30.50", "-0", "0.0", "1e3", "1,000", "17.999", "18.0", "0.1", "1e300")
BOOLEANS = ("yes", "no", "Yes", "NO", "true", "false", "1", "0", "y", "n")
PHONE_PREFIXES = ("+234803", "+234806", "+25471")
_BARE = re.compile(r'[^\s()"=!<>~]+')


@dataclass(frozen=True)
class ContactSpec:
    """Raw input for one contact, read the way the service reads it when the test runs."""

    id: str
    phone: str
    secondary_phone: str | None
    name: str | None
    email: str | None
    category: str | None
    language: str | None
    status: ContactStatus
    created_at: datetime
    last_seen_at: datetime | None
    groups: tuple[str, ...]
    fields: tuple[tuple[str, Any], ...]
    anonymized: bool


@dataclass(frozen=True)
class Scenario:
    timezone: str
    contacts: tuple[ContactSpec, ...]
    queries: tuple[str, ...]


class Known(tuple[ContactSpec, ...]):
    """The example's contacts as the query strategies see them, shown short in their reprs."""

    def __repr__(self) -> str:
        return f"<{len(self)} generated contacts>"


@dataclass
class Tally:
    examples: int = 0
    contacts: int = 0
    queries: int = 0
    matched: int = 0
    # Queries that matched some of the example's contacts but not all of them.
    discriminating: int = 0
    # How many queries used each of RapidPro's forms (`RAPIDPRO_FORMS`).
    forms: Counter[str] = field(default_factory=Counter)


# RapidPro's forms the generator must reach, found in the query or in RapidPro's printed form.
RAPIDPRO_FORMS = {
    "bare URN": (False, re.compile(r"(^|[\s(])(tel|whatsapp):")),
    "urn property": (True, re.compile(r"(^|[\s(])urn [=!~]")),
    "urns.whatsapp": (True, re.compile(r"urns\.whatsapp ")),
    "group set check": (True, re.compile(r'group !?= ""')),
    "one-character name": (True, re.compile(r'name = "."')),
    "phone fragment": (True, re.compile(r"urns\.tel ~ ")),
}


# --- contacts ----------------------------------------------------------------------------------


def phones() -> st.SearchStrategy[str]:
    # Few digits, so that `tel ~` substrings are shared between contacts.
    return st.builds(
        lambda prefix, rest: prefix + rest,
        st.sampled_from(PHONE_PREFIXES),
        st.text(alphabet="0127", min_size=7, max_size=7),
    )


@st.composite
def moments(draw: st.DrawFn, timezone: str) -> datetime:
    """Local times near the organisation's midnights (exactly on them, too), in microseconds."""
    day = draw(st.sampled_from(DAYS))
    offset = draw(
        st.one_of(
            st.sampled_from((0, 1, -1, 500, -500, 999, -999, 1000, -1000)),
            st.integers(-86_400_000_000, 2 * 86_400_000_000),
        )
    )
    local = datetime.combine(day, time()) + timedelta(microseconds=offset)
    return local.replace(tzinfo=ZoneInfo(timezone))


@st.composite
def dob_texts(draw: st.DrawFn) -> str:
    day = draw(st.sampled_from((*DAYS, date(1990, 5, 1))))
    form = draw(st.sampled_from(("iso", "day-first", "time", "offset")))
    if form == "iso":
        return day.isoformat()
    if form == "day-first":
        return day.strftime("%d/%m/%Y")
    clock = draw(
        st.sampled_from(("00:00:00", "23:59:59.9995", "23:30", "12:00:00.123456", "00:00:00.0005"))
    )
    text = f"{day.isoformat()}T{clock}"
    if form == "offset":
        text += draw(st.sampled_from(("+00:00", "Z", "-05:00", "+05:45", "+01:00")))
    return text


RAW_FIELD_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "age": st.one_of(
        st.integers(-5, 120), st.sampled_from(AGES), st.sampled_from((30.5, 0.1, -2.25))
    ),
    "district": st.sampled_from(DISTRICTS),
    "dob": dob_texts(),
    "vip": st.one_of(st.booleans(), st.sampled_from(BOOLEANS)),
}


@st.composite
def contact_specs(
    draw: st.DrawFn, timezone: str, id_: str, phone: str, all_phones: list[str]
) -> ContactSpec:
    secondary = draw(
        st.one_of(st.none(), st.sampled_from(all_phones), phones())
        if all_phones
        else st.one_of(st.none(), phones())
    )
    fields = tuple((key, draw(raw)) for key, raw in RAW_FIELD_VALUES.items() if draw(st.booleans()))
    return ContactSpec(
        id=id_,
        phone=phone,
        secondary_phone=secondary,
        name=draw(st.one_of(st.none(), st.sampled_from(NAMES))),
        email=draw(st.one_of(st.none(), st.sampled_from(EMAILS))),
        category=draw(st.one_of(st.none(), st.sampled_from(CATEGORIES))),
        language=draw(st.one_of(st.none(), st.sampled_from(LANGUAGES))),
        status=draw(st.sampled_from(ContactStatus)),
        created_at=draw(moments(timezone)),
        last_seen_at=draw(st.one_of(st.none(), moments(timezone))),
        groups=tuple(draw(st.lists(st.sampled_from(("g1", "g2", "g3")), unique=True))),
        fields=fields,
        anonymized=draw(st.integers(0, 9)) == 0,
    )


def build_contact(spec: ContactSpec, org_id: str, timezone: str) -> Contact:
    """The contact as the create handler builds it from the same input."""
    values = {key: coerce_value(key, raw, FIELD_TYPES[key], timezone) for key, raw in spec.fields}
    fields: dict[str, FieldValue] = {k: v for k, v in values.items() if v is not None}
    secondary = spec.secondary_phone
    contact = Contact.create(
        id=spec.id,
        org_id=org_id,
        phone=normalize_phone(spec.phone, DEFAULT_COUNTRY),
        now=spec.created_at,
        attributes={
            "name": clean_text(spec.name, field="name", max_length=MAX_NAME),
            "secondary_phone": normalize_phone(secondary, DEFAULT_COUNTRY) if secondary else None,
            "email": clean_email(spec.email),
            "category": clean_text(spec.category, field="category", max_length=MAX_CATEGORY),
            "language": clean_language(spec.language),
            "fields": fields,
        },
    )
    contact.status = spec.status
    contact.last_seen_at = spec.last_seen_at
    contact.groups = list(spec.groups)
    if spec.anonymized:
        contact.anonymize(actor="tester", now=spec.created_at)
    return contact


# --- queries -----------------------------------------------------------------------------------


def literal(draw: st.DrawFn, value: str) -> str:
    """The value bare where the syntax allows it (not always), otherwise double-quoted."""
    bare_ok = _BARE.fullmatch(value) and value.lower() not in ("and", "or", "has", "is")
    if bare_ok and draw(st.integers(0, 3)) > 0:
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def respelled(draw: st.DrawFn, value: str) -> str:
    """The same text in another case or with outer spaces (compared trimmed, casefolded)."""
    how = draw(st.sampled_from(("same", "upper", "lower", "padded")))
    if how == "upper":
        return value.upper()
    if how == "lower":
        return value.lower()
    if how == "padded":
        return f" {value}  "
    return value


def equality(draw: st.DrawFn) -> str:
    return draw(st.sampled_from(("=", "is", "!=")))


def set_check(draw: st.DrawFn, prop: str) -> str:
    return f'{prop} {draw(st.sampled_from(("=", "!=")))} ""'


def day_text(draw: st.DrawFn, days: tuple[date, ...]) -> str:
    day = draw(st.sampled_from(days))
    form = draw(st.sampled_from(("iso", "iso", "dashes", "slashes", "dots", "with-time")))
    return {
        "iso": day.isoformat(),
        "dashes": day.strftime("%d-%m-%Y"),
        "slashes": day.strftime("%d/%m/%Y"),
        "dots": day.strftime("%d.%m.%Y"),
        "with-time": f"{day.isoformat()}T12:00:00",
    }[form]


def day_comparison(draw: st.DrawFn, prop: str, days: tuple[date, ...]) -> str:
    op = draw(st.sampled_from(("=", "is", "!=", ">", "<", ">=", "<=")))
    return f"{prop} {op} {day_text(draw, days)}"


def contact_phones(specs: tuple[ContactSpec, ...]) -> list[str]:
    return [s.phone for s in specs] + [s.secondary_phone for s in specs if s.secondary_phone]


def phone_text(draw: st.DrawFn, specs: tuple[ContactSpec, ...]) -> str:
    """A generated phone as typed: E.164, national, with spaces; or a phone nobody has."""
    known = contact_phones(specs)
    phone = draw(st.sampled_from(known)) if known != [] and draw(st.booleans()) else draw(phones())
    form = draw(st.sampled_from(("e164", "e164", "national", "spaced", "bracketed", "bad")))
    if form == "national" and phone.startswith("+234"):
        return "0" + phone[4:]
    if form == "bracketed" and phone.startswith("+234"):
        return f'"(0{phone[4:7]}) {phone[7:10]}-{phone[10:]}"'
    if form == "spaced":
        return f'"{phone[:4]} {phone[4:7]} {phone[7:]}"'
    if form == "bad":
        return draw(st.sampled_from(("12345", "+19", "0000000")))
    return phone


def name_comparison(draw: st.DrawFn, prop: str) -> str:
    kind = draw(st.sampled_from(("contains", "contains", "equals", "set")))
    if kind == "set":
        return set_check(draw, prop)
    if kind == "contains":
        words = draw(st.lists(st.sampled_from(NAME_PREFIXES), min_size=1, max_size=2))
        return f"{prop} {draw(st.sampled_from(('~', 'has')))} {literal(draw, ' '.join(words))}"
    value = draw(st.sampled_from((*NAMES, "Amina  Bello", "Nobody")))
    return f"{prop} {equality(draw)} {literal(draw, respelled(draw, value))}"


def phone_fragment(draw: st.DrawFn, specs: tuple[ContactSpec, ...]) -> str:
    """Part of a known phone (with its `+` when it starts there), or digits nobody has."""
    known = contact_phones(specs)
    if known and draw(st.integers(0, 4)) > 0:
        digits = draw(st.sampled_from(known))[1:]
        start = draw(st.integers(0, len(digits) - 3))
        end = draw(st.integers(start + 3, min(len(digits), start + 8)))
        plus = "+" if start == 0 and draw(st.booleans()) else ""
        return plus + digits[start:end]
    return draw(st.sampled_from(("999", "2348", "0000", "712", "+2347")))


def tel_comparison(draw: st.DrawFn, prop: str, specs: tuple[ContactSpec, ...]) -> str:
    """`tel`, `whatsapp`, `urn` (either of the contact's phones), spelled as RapidPro prints
    them or as people type them."""
    kind = draw(st.sampled_from(("equals", "contains", "contains", "set")))
    if kind == "set":
        return set_check(draw, prop)
    if kind == "equals":
        phone = phone_text(draw, specs)
        scheme = prop.lower().removeprefix("urns.")
        if scheme == "whatsapp" and phone.startswith("+") and draw(st.booleans()):
            phone = phone[1:]  # as WhatsApp writes numbers
        elif scheme == "urn" and phone.startswith("+") and draw(st.booleans()):
            phone = draw(st.sampled_from(("tel:", "whatsapp:"))) + phone
        return f"{prop} {equality(draw)} {phone}"
    return f"{prop} {draw(st.sampled_from(('~', 'has')))} {phone_fragment(draw, specs)}"


def text_comparison(draw: st.DrawFn, prop: str, values: tuple[str, ...]) -> str:
    if draw(st.integers(0, 3)) == 0:
        return set_check(draw, prop)
    value = draw(st.sampled_from((*values, "nothing-like-it")))
    return f"{prop} {equality(draw)} {literal(draw, respelled(draw, value))}"


def number_comparison(draw: st.DrawFn, prop: str) -> str:
    if draw(st.integers(0, 4)) == 0:
        return set_check(draw, prop)
    op = draw(st.sampled_from(("=", "is", "!=", ">", "<", ">=", "<=")))
    value = draw(st.one_of(st.integers(-6, 121).map(str), st.sampled_from(NUMBERS)))
    return f"{prop} {op} {value}"


def bare_term(draw: st.DrawFn, specs: tuple[ContactSpec, ...]) -> str:
    """A value alone, as RapidPro reads it: a URN (`tel:+234...`), digits (part of a phone), a
    word of 2 characters or more (searched in names), or a shorter one (a whole name)."""
    kind = draw(st.sampled_from(("phone", "urn", "fragment", "word", "word", "short")))
    if kind == "phone":
        phone = phone_text(draw, specs)
        if phone.startswith('"(') and draw(st.booleans()):
            return phone.strip('"')  # `(0803) 123-4567`: a phone when it is the whole query
        return phone
    if kind == "urn":
        phone = draw(st.sampled_from(contact_phones(specs) or ["+2348031234567"]))
        if draw(st.booleans()):
            return f"tel:{phone}"
        return f"whatsapp:{phone[1:]}"
    if kind == "fragment":
        fragment = phone_fragment(draw, specs)
        return fragment if len(fragment.lstrip("+")) >= 4 else fragment + "0"
    if kind == "short":
        return literal(draw, draw(st.sampled_from(("j", "J", "b", "j b", "x"))))
    words = draw(
        st.sampled_from(("amina", "Bob", "bello", "O'Brien", "straße", "AMI", "zz", "123", "j doe"))
    )
    return literal(draw, words)


@st.composite
def comparisons(draw: st.DrawFn, specs: tuple[ContactSpec, ...]) -> str:
    prop = draw(
        st.sampled_from(
            (
                "name",
                "tel",
                "email",
                "category",
                "language",
                "status",
                "group",
                "created_on",
                "last_seen_on",
                "id",
                "age",
                "district",
                "dob",
                "vip",
                "bare",
            )
        )
    )
    if prop == "bare":
        return bare_term(draw, specs)
    if prop == "name":
        return name_comparison(draw, draw(st.sampled_from(("name", "NAME"))))
    if prop == "tel":
        spelled = ("tel", "phone", "TEL", "urn", "URN", "urns.tel", "whatsapp", "urns.whatsapp")
        return tel_comparison(draw, draw(st.sampled_from(spelled)), specs)
    if prop == "email":
        return text_comparison(draw, prop, (*EMAILS, "amina@example"))
    if prop == "category":
        return text_comparison(draw, prop, (*CATEGORIES, "Big Buyer "))
    if prop == "language":
        if draw(st.integers(0, 3)) == 0:
            return set_check(draw, prop)
        return f"{prop} {equality(draw)} {draw(st.sampled_from((*LANGUAGES, 'fra', 'YOR')))}"
    if prop == "status":
        status = draw(st.sampled_from([s.value for s in ContactStatus]))
        return f"{prop} {equality(draw)} {respelled(draw, status).strip()}"
    if prop == "group":
        if draw(st.integers(0, 3)) == 0:
            return set_check(draw, prop)  # in no group, or in some group
        name = draw(st.sampled_from(sorted(GROUP_NAMES)))
        return f"{prop} {equality(draw)} {literal(draw, respelled(draw, name))}"
    if prop == "created_on":
        return day_comparison(draw, prop, (DAYS[0] - timedelta(days=1), *DAYS))
    if prop == "last_seen_on":
        if draw(st.integers(0, 3)) == 0:
            return set_check(draw, prop)
        return day_comparison(draw, prop, (DAYS[0] - timedelta(days=1), *DAYS))
    if prop == "id":
        value = draw(st.sampled_from((*(s.id for s in specs), str(uuid.UUID(int=7)))))
        return f"{draw(st.sampled_from(('id', 'uuid')))} {equality(draw)} {value}"
    spelled = draw(st.sampled_from((prop, f"fields.{prop}", prop.upper())))
    if prop == "age":
        return number_comparison(draw, spelled)
    if prop == "district":
        return text_comparison(draw, spelled, (*DISTRICTS, "Ikeja West"))
    if prop == "dob":
        if draw(st.integers(0, 4)) == 0:
            return set_check(draw, spelled)
        return day_comparison(draw, spelled, (date(1990, 5, 1), *DAYS))
    if draw(st.integers(0, 4)) == 0:
        return set_check(draw, spelled)
    return f"{spelled} {equality(draw)} {draw(st.sampled_from(BOOLEANS))}"


def expressions(specs: tuple[ContactSpec, ...]) -> st.SearchStrategy[str]:
    """Comparisons joined by AND, OR or nothing (implicit AND), some sides parenthesised."""

    def joined(parts: tuple[str, str, str, bool, bool]) -> str:
        left, op, right, wrap_left, wrap_right = parts
        left = f"({left})" if wrap_left else left
        right = f"({right})" if wrap_right else right
        return f"{left}{op}{right}"

    def combine(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        ops = st.sampled_from((" AND ", " and ", " ", " OR ", " or "))
        return st.tuples(inner, ops, inner, st.booleans(), st.booleans()).map(joined)

    return st.recursive(comparisons(specs), combine, max_leaves=6)


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    timezone = draw(st.sampled_from(TIMEZONES))
    count = draw(st.integers(0, 12))
    ids = draw(st.lists(st.uuids(), min_size=count, max_size=count, unique=True))
    primary = draw(st.lists(phones(), min_size=count, max_size=count, unique=True))
    specs = Known(
        draw(contact_specs(timezone, str(id_), phone, primary))
        for id_, phone in zip(ids, primary, strict=True)
    )
    queries = draw(st.lists(expressions(specs), min_size=3, max_size=10))
    return Scenario(timezone, tuple(specs), tuple(queries))


# --- the check ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def database(settings: ServiceSettings) -> AsyncIterator[ContactCollection]:
    """The contacts collection, indexed as the service indexes it."""
    store = await connect_store(settings.mongodb_url)
    name = settings.database_name("querycheck")
    contacts = ContactCollection(store.client[name], store, OutboxWakeup())
    await contacts.create_indexes()
    try:
        yield contacts
    finally:
        await store.client.drop_database(name)
        await store.close()


@pytest.fixture
def tally() -> Iterator[Tally]:
    """Counts what the property test really ran; zero examples would be a silent pass."""
    counted = Tally()
    yield counted
    print(f"\nfilter vs evaluator: {counted}")
    assert counted.examples > 0, "no hypothesis example ran"
    assert counted.queries >= counted.examples, "examples ran without queries"
    missing = [form for form in RAPIDPRO_FORMS if counted.forms[form] == 0]
    assert not missing, f"no query used {missing}"


def _difference(
    ids: set[str], contacts: dict[str, Contact], docs: dict[str, Document]
) -> list[str]:
    shown = []
    for contact_id in sorted(ids):
        doc = {k: v for k, v in docs[contact_id].items() if k not in ("outbox", "status_history")}
        shown.append(f"  {contact_id}: document {doc}\n    contact {contacts[contact_id]}")
    return shown


@hypothesis_settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.data_too_large,
    ],
)
@given(scenario=scenarios())
async def test_store_filter_and_evaluator_return_the_same_contacts(
    database: ContactCollection, tally: Tally, scenario: Scenario
) -> None:
    org_id = f"org-{uuid.uuid4().hex}"
    context = QueryContext(
        timezone=scenario.timezone,
        default_country=DEFAULT_COUNTRY,
        fields=FIELD_TYPES,
        groups=GROUP_NAMES,
    )
    collection = database.collection
    originals = {s.id: build_contact(s, org_id, scenario.timezone) for s in scenario.contacts}
    try:
        documents = []
        for contact in originals.values():
            doc = new_document(contact)
            doc["groups"] = list(contact.groups)  # written by the membership consumer
            documents.append(doc)
        if documents:
            await collection.insert_many(documents)
        stored = {d["_id"]: d for d in await collection.find({"org_id": org_id}).to_list()}
        assert stored.keys() == originals.keys()
        read_back = {i: contact_from_document(d) for i, d in stored.items()}

        for text in scenario.queries:
            try:
                query = parse_query(text, context)
            except QueryError as exc:  # the generator only writes valid queries
                raise AssertionError(f"{text!r} was refused: {exc.code}: {exc}") from exc
            note(f"query {text!r} -> {query.text!r} ({query.rapidpro_text!r})")
            for printed in (query.text, query.rapidpro_text):
                assert parse_query(printed, context).predicate == query.predicate, printed
            flt = {"$and": [{"org_id": org_id}, query_filter(query.predicate)]}
            found = {d["_id"] for d in await collection.find(flt, {"_id": 1}).to_list()}
            expected = {i for i, c in read_back.items() if matches(query.predicate, c)}
            in_memory = {i for i, c in originals.items() if matches(query.predicate, c)}
            assert found == expected, "\n".join(
                [
                    f"the store and the evaluator disagree on {text!r} ({query.text!r}),",
                    f"timezone {scenario.timezone}, predicate {query.predicate}",
                    "only the store matches:",
                    *_difference(found - expected, read_back, stored),
                    "only the evaluator matches:",
                    *_difference(expected - found, read_back, stored),
                ]
            )
            assert in_memory == expected, "\n".join(
                [
                    f"{text!r} ({query.text!r}) matches differently before and after storing",
                    f"timezone {scenario.timezone}, predicate {query.predicate}",
                    "only before storing:",
                    *_difference(in_memory - expected, originals, stored),
                    "only after storing:",
                    *_difference(expected - in_memory, originals, stored),
                ]
            )
            tally.queries += 1
            for form, (printed, pattern) in RAPIDPRO_FORMS.items():
                if pattern.search(query.rapidpro_text if printed else text):
                    tally.forms[form] += 1
            tally.matched += len(found)
            if 0 < len(found) < len(originals):
                tally.discriminating += 1
            event(
                "matched " + ("none" if not found else "all" if found == set(originals) else "some")
            )
        tally.examples += 1
        tally.contacts += len(originals)
    finally:
        await collection.delete_many({"org_id": org_id})


async def test_numbers_beyond_a_double_are_refused_and_large_ones_are_found(
    database: ContactCollection,
) -> None:
    """Numbers are stored as doubles (FerretDB has no decimal128): `1e400` would become
    infinity, which FerretDB refuses, so it is refused up front; `1e300` is stored and found."""
    context = QueryContext(fields=FIELD_TYPES)
    with pytest.raises(InvalidFieldValue):
        coerce_value("age", "1e400", FieldType.NUMBER, context.timezone)
    spec = ContactSpec(
        id=str(uuid.uuid4()),
        phone="+2348031110000",
        secondary_phone=None,
        name="Big Number",
        email=None,
        category=None,
        language=None,
        status=ContactStatus.ACTIVE,
        created_at=datetime(2024, 3, 10, tzinfo=ZoneInfo("UTC")),
        last_seen_at=None,
        groups=(),
        fields=(("age", "1e300"),),
        anonymized=False,
    )
    org_id = f"org-{uuid.uuid4().hex}"
    contact = build_contact(spec, org_id, context.timezone)
    repository = MongoContactRepository(database)
    try:
        await repository.add(contact)
        query = parse_query("age > 1000", context)
        flt = {"$and": [{"org_id": org_id}, query_filter(query.predicate)]}
        found = {d["_id"] for d in await repository.collection.find(flt, {"_id": 1}).to_list()}
        stored = await repository.get(org_id, contact.id)
        assert stored is not None
        assert found == {contact.id}
        assert matches(query.predicate, stored) and matches(query.predicate, contact)
    finally:
        await repository.collection.delete_many({"org_id": org_id})
