"""Queries as organisations migrating from RapidPro write them, with what each must mean here.

Each row is a query, Roster's normalized form, RapidPro's printed form (what goflow's
`ContactQuery.String()` gives, with values normalized where Roster reads them: phones in E.164,
languages as codes, statuses lowercased, days in ISO, numbers plain) and the contacts below it
matches. Rows marked `(RapidPro)` are taken from goflow's own parser tests
(`contactql/parse/parse_test.go`), read against the same kinds of fields and groups.

Used by the unit test (forms, round trips, error codes) and the integration test (the contacts
each query selects, in memory and through the store, which must agree with each other and with
the row).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from shared.contactql.resolve import QueryContext
from shared.contactql.values import FieldType

CONTEXT = QueryContext(
    timezone="UTC",
    default_country="US",
    fields={
        "age": FieldType.NUMBER,
        "gender": FieldType.TEXT,
        "state": FieldType.STATE,
        "dob": FieldType.DATETIME,
        "language": FieldType.TEXT,  # named like the attribute: `fields.language` reaches it
        "vip": FieldType.BOOLEAN,
    },
    groups={
        "u-reporters": "g-ureport",
        "g-ureport": "g-ureport",
        "farmers": "g-farmers",
        "g-farmers": "g-farmers",
    },
)


@dataclass(frozen=True)
class Person:
    """One contact of the fixed set every query is run against."""

    label: str
    phone: str | None
    name: str | None = None
    secondary_phone: str | None = None
    email: str | None = None
    category: str | None = None
    language: str | None = None
    status: str = "active"
    created_at: datetime = datetime(2024, 3, 8, 10, tzinfo=UTC)
    last_seen_at: datetime | None = None
    groups: tuple[str, ...] = ()
    fields: dict[str, str] = field(default_factory=dict)
    anonymized: bool = False


PEOPLE = (
    Person(
        "amina",
        "+254712345678",
        name="Amina Bello",
        email="amina@example.org",
        category="Teacher",
        language="eng",
        last_seen_at=datetime(2024, 3, 9, 8, tzinfo=UTC),
        groups=("g-farmers",),
        fields={
            "age": "30",
            "gender": "female",
            "state": "Nairobi",
            "dob": "1990-05-01",
            "language": "EN",
            "vip": "yes",
        },
    ),
    Person(
        "j",
        "+12024561111",
        name="j",
        secondary_phone="+254700000001",
        language="fra",
        status="blocked",
        created_at=datetime(2024, 3, 7, 23, 59, 59, tzinfo=UTC),
        fields={"age": "17", "gender": "male"},
    ),
    Person(
        "jdoe",
        "+12125550100",
        name="J Doe",
        category="Teacher",
        created_at=datetime(2024, 3, 8, tzinfo=UTC),
        last_seen_at=datetime(2024, 3, 8, 23, tzinfo=UTC),
        groups=("g-ureport",),
        fields={"age": "18.5", "vip": "no", "dob": "2020-01-27"},
    ),
    Person(
        "will",
        "+2348031234567",
        name="Will Felix",
        secondary_phone="+14155550123",
        language="eng",
        created_at=datetime(2024, 3, 9, tzinfo=UTC),
        groups=("g-ureport", "g-farmers"),
        fields={"age": "18", "gender": "male", "vip": "yes"},
    ),
    Person(
        "nameless",
        "+447911123456",
        status="stopped",
        created_at=datetime(2024, 3, 10, tzinfo=UTC),
    ),
    Person(
        "ann",
        "+254733000111",
        name="Ann McAnn",
        language="spa",
        status="archived",
        created_at=datetime(2024, 3, 6, tzinfo=UTC),
        fields={"age": "61", "gender": "female", "dob": "2020-01-28"},
    ),
    Person(
        "matt",
        "+2348061112222",
        name="Matt Amber",
        created_at=datetime(2024, 3, 8, 18, tzinfo=UTC),
        fields={"age": "45"},
    ),
    Person(
        "anon",
        "+254799999999",
        name="Someone",
        created_at=datetime(2024, 3, 8, 12, tzinfo=UTC),
        anonymized=True,  # no name but a random code, no phones, no fields
    ),
)
EVERYONE = frozenset(p.label for p in PEOPLE)


@dataclass(frozen=True)
class Parsed:
    query: str
    own: str
    rapidpro: str
    matches: frozenset[str]


@dataclass(frozen=True)
class Refused:
    query: str
    code: str


def _who(spec: str) -> frozenset[str]:
    """`*` everyone, `-` nobody, `* -amina -j` everyone but those, else the labels named."""
    words = spec.split()
    if words and words[0] == "*":
        return EVERYONE - {w.removeprefix("-") for w in words[1:]}
    if spec == "-":
        return frozenset()
    unknown = set(words) - EVERYONE
    assert not unknown, unknown
    return frozenset(words)


def _rows(*rows: tuple[str, str, str, str]) -> tuple[Parsed, ...]:
    return tuple(Parsed(q, own, rapidpro, _who(who)) for q, own, rapidpro, who in rows)


PARSED = _rows(
    # --- bare values: names (RapidPro) ----------------------------------------------------------
    ('"will"', "name ~ will", 'name ~ "will"', "will"),
    ("Will", "name ~ Will", 'name ~ "Will"', "will"),
    ("wil", "name ~ wil", 'name ~ "wil"', "will"),
    ("wi", "name ~ wi", 'name ~ "wi"', "will"),
    ("566", "name ~ 566", "name ~ 566", "-"),
    ("ab:cd", "name ~ ab:cd", 'name ~ "ab:cd"', "-"),  # Roster: no such URN scheme, so a name
    # one character of more than one byte is a word (RapidPro counts bytes)
    ("王", "name ~ 王", 'name ~ "王"', "-"),
    ('name ~ "é"', "name ~ é", 'name ~ "é"', "-"),
    # --- single-character words are whole names (RapidPro) --------------------------------------
    ("w", "name = w", 'name = "w"', "-"),
    ("w me", "name = w AND name ~ me", 'name = "w" AND name ~ "me"', "-"),
    ("w m", "name = w AND name = m", 'name = "w" AND name = "m"', "-"),
    ("j", "name = j", 'name = "j"', "j"),
    ("J", "name = J", 'name = "J"', "j"),
    ("j doe", "name = j AND name ~ doe", 'name = "j" AND name ~ "doe"', "-"),
    ("j OR doe", "name = j OR name ~ doe", 'name = "j" OR name ~ "doe"', "j jdoe"),
    ('"j"', "name = j", 'name = "j"', "j"),
    # --- a whole query that is a phone number (RapidPro) ----------------------------------------
    ("tel:+12024561111", "tel = +12024561111", 'urns.tel = "+12024561111"', "j"),
    ("tel:+254712345678", "tel = +254712345678", 'urns.tel = "+254712345678"', "amina"),
    ("TEL:+254712345678", "tel = +254712345678", 'urns.tel = "+254712345678"', "amina"),
    ("whatsapp:254712345678", "whatsapp = +254712345678", "urns.whatsapp = 254712345678", "amina"),
    ("(202) 456-1111", "tel = +12024561111", 'urns.tel = "+12024561111"', "j"),
    ("(212) 555-0100", "tel = +12125550100", 'urns.tel = "+12125550100"', "jdoe"),
    ("+12024561111", "tel = +12024561111", 'urns.tel = "+12024561111"', "j"),
    (" 202.456.1111 ", "tel = +12024561111", 'urns.tel = "+12024561111"', "j"),
    ("212-555-0100", "tel = +12125550100", 'urns.tel = "+12125550100"', "jdoe"),
    ("+254 712 345 678", "tel = +254712345678", 'urns.tel = "+254712345678"', "amina"),
    ("+44 7911 123456", "tel = +447911123456", 'urns.tel = "+447911123456"', "nameless"),
    # --- digits among other terms, or quoted: part of a phone number (RapidPro) -----------------
    ('"+12024561111"', "tel ~ +12024561111", 'urns.tel ~ "+12024561111"', "j"),
    ("12345", "tel ~ 12345", "urns.tel ~ 12345", "amina will nameless"),
    ("+2547", "tel ~ +2547", 'urns.tel ~ "+2547"', "amina j ann"),
    (
        "amina +254712345678",
        "name ~ amina AND tel ~ +254712345678",
        'name ~ "amina" AND urns.tel ~ "+254712345678"',
        "amina",
    ),
    (
        "amina 0712345678",
        "name ~ amina AND tel ~ 0712345678",
        'name ~ "amina" AND urns.tel ~ 0712345678',
        "-",
    ),
    (
        "will +123456566",
        "name ~ will AND tel ~ +123456566",
        'name ~ "will" AND urns.tel ~ "+123456566"',
        "-",
    ),
    (
        "will 8031-234",
        "name ~ will AND tel ~ 8031234",
        'name ~ "will" AND urns.tel ~ 8031234',
        "will",
    ),
    (
        "felix OR 5550",
        "name ~ felix OR tel ~ 5550",
        'name ~ "felix" OR urns.tel ~ 5550',
        "jdoe will",
    ),
    ("amina (254)", "name ~ amina AND name ~ 254", 'name ~ "amina" AND name ~ 254', "-"),
    # --- name (RapidPro) ------------------------------------------------------------------------
    ("Name=will", "name = will", 'name = "will"', "-"),
    ("Name=O'Shea", "name = O'Shea", 'name = "O\'Shea"', "-"),
    ('Name ~ "felix"', "name ~ felix", 'name ~ "felix"', "will"),
    ('Name HAS "Felix"', "name ~ Felix", 'name ~ "Felix"', "will"),
    ('name is ""', 'name = ""', 'name = ""', "nameless"),
    ('name != ""', 'name != ""', 'name != ""', "* -nameless"),
    ('name != "felix"', "name != felix", 'name != "felix"', "*"),
    ('name = "Amina Bello"', 'name = "Amina Bello"', 'name = "Amina Bello"', "amina"),
    ('name = "amina  BELLO "', 'name = "amina  BELLO"', 'name = "amina  BELLO"', "-"),
    ('name ~ "am be"', 'name ~ "am be"', 'name ~ "am be"', "amina"),
    ('name ~ "w fe"', 'name ~ "w fe"', 'name ~ "w fe"', "will"),
    ('name = "O\\"Leary"', 'name = "O\\"Leary"', 'name = "O\\"Leary"', "-"),
    # --- Go escapes in quoted values, as RapidPro prints and reads them -------------------------
    ('name = "tab\\there"', 'name = "tab\\there"', 'name = "tab\\there"', "-"),
    ('name = "new\\nline"', 'name = "new\\nline"', 'name = "new\\nline"', "-"),
    ('name = "Will\\u0020Felix"', 'name = "Will Felix"', 'name = "Will Felix"', "will"),
    ('name = "\\x57ill Felix"', 'name = "Will Felix"', 'name = "Will Felix"', "will"),
    ('name = "bad \\q escape"', 'name = "bad \\\\q escape"', 'name = "bad \\\\q escape"', "-"),
    ('gender = "say \\"hi\\""', 'gender = "say \\"hi\\""', 'fields.gender = "say \\"hi\\""', "-"),
    ('name = "zero\u200bwidth"', 'name = "zero\\u200bwidth"', 'name = "zero\\u200bwidth"', "-"),
    # --- attributes (RapidPro) ------------------------------------------------------------------
    ("language = spa", "language = spa", 'language = "spa"', "ann"),
    ("language = English", "language = eng", 'language = "eng"', "amina will"),
    ("language != eng", "language != eng", 'language != "eng"', "* -amina -will"),
    ('language = ""', 'language = ""', 'language = ""', "jdoe nameless matt anon"),
    ("status = ACTIVE", "status = active", 'status = "active"', "amina jdoe will matt anon"),
    ("status != blocked", "status != blocked", 'status != "blocked"', "* -j"),
    (
        "email = amina@example.org",
        "email = amina@example.org",
        'email = "amina@example.org"',
        "amina",
    ),
    ("category = teacher", "category = teacher", 'category = "teacher"', "amina jdoe"),
    (
        "uuid = f81d1eb5-215d-4ae8-90fa-38b3f2d6e328",
        "id = f81d1eb5-215d-4ae8-90fa-38b3f2d6e328",
        'uuid = "f81d1eb5-215d-4ae8-90fa-38b3f2d6e328"',
        "-",
    ),
    (
        "uuid != f81d1eb5-215d-4ae8-90fa-38b3f2d6e328",
        "id != f81d1eb5-215d-4ae8-90fa-38b3f2d6e328",
        'uuid != "f81d1eb5-215d-4ae8-90fa-38b3f2d6e328"',
        "*",
    ),
    ("id = 02352", "id = 02352", "uuid = 02352", "-"),
    ("CREATED_ON>27-01-2020", "created_on > 27-01-2020", 'created_on > "2020-01-27"', "*"),
    (
        "created_on = 2024-03-08",
        "created_on = 2024-03-08",
        'created_on = "2024-03-08"',
        "amina jdoe matt anon",
    ),
    (
        "created_on <= 08.03.2024",
        "created_on <= 08.03.2024",
        'created_on <= "2024-03-08"',
        "* -will -nameless",
    ),
    ('last_seen_on = ""', 'last_seen_on = ""', 'last_seen_on = ""', "* -amina -jdoe"),
    (
        "last_seen_on > 2024-03-08",
        "last_seen_on > 2024-03-08",
        'last_seen_on > "2024-03-08"',
        "amina",
    ),
    # --- groups, and the set checks on them ------------------------------------------------------
    ("Group IS U-Reporters", "group = U-Reporters", 'group = "U-Reporters"', "jdoe will"),
    ("group = u-reporters", "group = u-reporters", 'group = "u-reporters"', "jdoe will"),
    ("group != farmers", "group != farmers", 'group != "farmers"', "* -amina -will"),
    ('group = ""', 'group = ""', 'group = ""', "j nameless ann matt anon"),
    ('group is ""', 'group = ""', 'group = ""', "j nameless ann matt anon"),
    ('group != ""', 'group != ""', 'group != ""', "amina jdoe will"),
    (
        'group = "" OR age > 60',
        'group = "" OR age > 60',
        'group = "" OR fields.age > 60',
        "j nameless ann matt anon",
    ),
    (
        'group != "" AND status = active',
        'group != "" AND status = active',
        'group != "" AND status = "active"',
        "amina jdoe will",
    ),
    (
        'group != "" AND group != farmers',
        'group != "" AND group != farmers',
        'group != "" AND group != "farmers"',
        "jdoe",
    ),
    # --- urn: any of the contact's URNs ---------------------------------------------------------
    ("URN=ewok", "urn = ewok", 'urn = "ewok"', "-"),
    ("urn = +254712345678", "urn = +254712345678", 'urn = "+254712345678"', "amina"),
    ("urn = tel:+254712345678", "urn = +254712345678", 'urn = "+254712345678"', "amina"),
    ("urn = whatsapp:12024561111", "urn = +12024561111", 'urn = "+12024561111"', "j"),
    ("urn = +254700000001", "urn = +254700000001", 'urn = "+254700000001"', "j"),
    ("urn != +254712345678", "urn != +254712345678", 'urn != "+254712345678"', "* -amina"),
    ("urn ~ 2547", "urn ~ 2547", "urn ~ 2547", "amina j ann"),
    ('urn ~ "+1202"', "urn ~ +1202", 'urn ~ "+1202"', "j"),
    ('urn ~ "415-555"', "urn ~ 415555", "urn ~ 415555", "will"),
    ('urn = ""', 'urn = ""', 'urn = ""', "anon"),
    ('urn != ""', 'urn != ""', 'urn != ""', "* -anon"),
    # --- tel and whatsapp, bare or `urns.` (RapidPro) --------------------------------------------
    ('tel=""', 'tel = ""', 'urns.tel = ""', "anon"),
    ('tel!=""', 'tel != ""', 'urns.tel != ""', "* -anon"),
    ("tel IS 233", "tel = +233", 'urns.tel = "+233"', "-"),
    ("tel HAS 233", "tel ~ 233", "urns.tel ~ 233", "-"),
    ("tel = 02352", "tel = +02352", 'urns.tel = "+02352"', "-"),
    ('tel = "(202) 456-1111"', "tel = +12024561111", 'urns.tel = "+12024561111"', "j"),
    ("tel = 2024561111", "tel = +12024561111", 'urns.tel = "+12024561111"', "j"),
    ("tel != +12024561111", "tel != +12024561111", 'urns.tel != "+12024561111"', "* -j"),
    ("urns.tel = +254712345678", "tel = +254712345678", 'urns.tel = "+254712345678"', "amina"),
    ("urns.tel = 234", "tel = +234", 'urns.tel = "+234"', "-"),
    ("URNS.TEL ~ 712", "tel ~ 712", "urns.tel ~ 712", "amina"),
    ('urns.tel != ""', 'tel != ""', 'urns.tel != ""', "* -anon"),
    (
        "urns.whatsapp = 254712345678",
        "whatsapp = +254712345678",
        "urns.whatsapp = 254712345678",
        "amina",
    ),
    (
        "urns.whatsapp = +254712345678",
        "whatsapp = +254712345678",
        "urns.whatsapp = 254712345678",
        "amina",
    ),
    ("urns.whatsapp ~ 2547123", "whatsapp ~ 2547123", "urns.whatsapp ~ 2547123", "amina"),
    ('urns.whatsapp = ""', 'whatsapp = ""', 'urns.whatsapp = ""', "anon"),
    ("whatsapp = 12024561111", "whatsapp = +12024561111", "urns.whatsapp = 12024561111", "j"),
    ("whatsapp != 12024561111", "whatsapp != +12024561111", "urns.whatsapp != 12024561111", "* -j"),
    ("phone = +254712345678", "tel = +254712345678", 'urns.tel = "+254712345678"', "amina"),
    ("phone ~ 555", "tel ~ 555", "urns.tel ~ 555", "jdoe will"),
    # what no phone can hold matches nobody (and never reaches the store as a `$regex`)
    ('tel ~ "80\\x003"', 'tel ~ "80\\x003"', 'urns.tel ~ "80\\x003"', "-"),
    ("tel ~ abc", "tel ~ abc", 'urns.tel ~ "abc"', "-"),
    # --- fields, bare or `fields.` (RapidPro) ----------------------------------------------------
    ("Age IS 18", "age = 18", "fields.age = 18", "will"),
    ('AGE != ""', 'age != ""', 'fields.age != ""', "* -nameless -anon"),
    ('FIELDS.AGE != "45"', "age != 45", "fields.age != 45", "* -matt"),
    ("fields.age > 20", "age > 20", "fields.age > 20", "amina ann matt"),
    ("fields.gender = female", "gender = female", 'fields.gender = "female"', "amina ann"),
    ('fields.language = "EN"', "fields.language = EN", 'fields.language = "EN"', "amina"),
    ('fields.language != ""', 'fields.language != ""', 'fields.language != ""', "amina"),
    ("gender = male", "gender = male", 'fields.gender = "male"', "j will"),
    ("gender != male", "gender != male", 'fields.gender != "male"', "* -j -will"),
    ("state = Nairobi", "state = Nairobi", 'fields.state = "Nairobi"', "amina"),
    ('Age > "18"', "age > 18", "fields.age > 18", "amina jdoe ann matt"),
    ("Age >= 18", "age >= 18", "fields.age >= 18", "amina jdoe will ann matt"),
    ("Age < 18", "age < 18", "fields.age < 18", "j"),
    ("Age <= 18", "age <= 18", "fields.age <= 18", "j will"),
    ("age > 1,250.5", "age > 1,250.5", "fields.age > 1250.5", "-"),
    ("age = 1e1", "age = 1e1", "fields.age = 10", "-"),
    ("age = 18.50", "age = 18.50", "fields.age = 18.5", "jdoe"),
    ('DOB > "27-01-2020"', "dob > 27-01-2020", 'fields.dob > "2020-01-27"', "ann"),
    ("DOB >= 27-01-2020", "dob >= 27-01-2020", 'fields.dob >= "2020-01-27"', "jdoe ann"),
    ("DOB < 27/01/2020", "dob < 27/01/2020", 'fields.dob < "2020-01-27"', "amina"),
    ("DOB <= 27.01.2020", "dob <= 27.01.2020", 'fields.dob <= "2020-01-27"', "amina jdoe"),
    ("dob = 1990-05-01", "dob = 1990-05-01", 'fields.dob = "1990-05-01"', "amina"),
    ("dob != 1990-05-01", "dob != 1990-05-01", 'fields.dob != "1990-05-01"', "* -amina"),
    ('dob = ""', 'dob = ""', 'fields.dob = ""', "j will nameless matt anon"),
    ("vip = yes", "vip = yes", 'fields.vip = "yes"', "amina will"),
    ("vip != no", "vip != no", 'fields.vip != "no"', "* -jdoe"),
    # --- combinations and precedence (RapidPro) --------------------------------------------------
    ("will felix", "name ~ will AND name ~ felix", 'name ~ "will" AND name ~ "felix"', "will"),
    ("will and felix", "name ~ will AND name ~ felix", 'name ~ "will" AND name ~ "felix"', "will"),
    (
        "will AND felix AND matt",
        "name ~ will AND name ~ felix AND name ~ matt",
        'name ~ "will" AND name ~ "felix" AND name ~ "matt"',
        "-",
    ),
    (
        "will or felix or matt",
        "name ~ will OR name ~ felix OR name ~ matt",
        'name ~ "will" OR name ~ "felix" OR name ~ "matt"',
        "will matt",
    ),
    (
        "name = will AND age > 18 AND vip = yes",
        "name = will AND age > 18 AND vip = yes",
        'name = "will" AND fields.age > 18 AND fields.vip = "yes"',
        "-",
    ),
    (
        "name = will OR age > 18 AND vip = yes",
        "name = will OR age > 18 AND vip = yes",
        'name = "will" OR (fields.age > 18 AND fields.vip = "yes")',
        "amina",
    ),
    (
        "name = will AND age > 18 OR vip = yes",
        "name = will AND age > 18 OR vip = yes",
        '(name = "will" AND fields.age > 18) OR fields.vip = "yes"',
        "amina will",
    ),
    (
        "(name = will AND age > 18) AND vip = yes",
        "name = will AND age > 18 AND vip = yes",
        'name = "will" AND fields.age > 18 AND fields.vip = "yes"',
        "-",
    ),
    (
        "(name = will AND age > 18) AND (vip = yes AND language = eng)",
        "name = will AND age > 18 AND vip = yes AND language = eng",
        'name = "will" AND fields.age > 18 AND fields.vip = "yes" AND language = "eng"',
        "-",
    ),
    (
        'name=will or Name ~ "felix"',
        "name = will OR name ~ felix",
        'name = "will" OR name ~ "felix"',
        "will",
    ),
    (
        "Name is will or Name has felix",
        "name = will OR name ~ felix",
        'name = "will" OR name ~ "felix"',
        "will",
    ),
    (
        'will or Name ~ "felix"',
        "name ~ will OR name ~ felix",
        'name ~ "will" OR name ~ "felix"',
        "will",
    ),
    (
        "will and felix or matt and amber",
        "name ~ will AND name ~ felix OR name ~ matt AND name ~ amber",
        '(name ~ "will" AND name ~ "felix") OR (name ~ "matt" AND name ~ "amber")',
        "will matt",
    ),
    (
        "will and felix or matt amber",
        "name ~ will AND name ~ felix OR name ~ matt AND name ~ amber",
        '(name ~ "will" AND name ~ "felix") OR (name ~ "matt" AND name ~ "amber")',
        "will matt",
    ),
    (
        '(Age < 18 and Gender = "male") or (Age > 18 and Gender = "female")',
        "age < 18 AND gender = male OR age > 18 AND gender = female",
        '(fields.age < 18 AND fields.gender = "male")'
        ' OR (fields.age > 18 AND fields.gender = "female")',
        "j amina ann",
    ),
    (
        "age > 10 and age < 20 or age > 30 and age < 40 or age > 50 and age < 60",
        "age > 10 AND age < 20 OR age > 30 AND age < 40 OR age > 50 AND age < 60",
        "(fields.age > 10 AND fields.age < 20) OR (fields.age > 30 AND fields.age < 40)"
        " OR (fields.age > 50 AND fields.age < 60)",
        "j jdoe will",
    ),
    (
        "age > 10 and age < 20 and age < 40 or age < 60",
        "age > 10 AND age < 20 AND age < 40 OR age < 60",
        "(fields.age > 10 AND fields.age < 20 AND fields.age < 40) OR fields.age < 60",
        "amina j jdoe will matt",
    ),
    (
        "age > 10 or age < 20 and age < 40 and age < 60",
        "age > 10 OR age < 20 AND age < 40 AND age < 60",
        "fields.age > 10 OR (fields.age < 20 AND fields.age < 40 AND fields.age < 60)",
        "amina j jdoe will ann matt",
    ),
    (
        "Jim McJim or Bob McBob or Ann McAnn",
        "name ~ Jim AND name ~ McJim OR name ~ Bob AND name ~ McBob OR name ~ Ann AND name ~ McAnn",
        '(name ~ "Jim" AND name ~ "McJim") OR (name ~ "Bob" AND name ~ "McBob")'
        ' OR (name ~ "Ann" AND name ~ "McAnn")',
        "ann",
    ),
    (
        "(group = farmers OR urn ~ 555) AND NOT_A_WORD_OPERATOR",
        "(group = farmers OR urn ~ 555) AND name ~ NOT_A_WORD_OPERATOR",
        '(group = "farmers" OR urn ~ 555) AND name ~ "NOT_A_WORD_OPERATOR"',
        "-",
    ),
    (
        '(group = farmers OR urn ~ 555) AND gender != ""',
        '(group = farmers OR urn ~ 555) AND gender != ""',
        '(group = "farmers" OR urn ~ 555) AND fields.gender != ""',
        "amina will",
    ),
)

REFUSED = tuple(
    Refused(q, code)
    for q, code in (
        # contains on a name needs a word of 2 characters; on a URN, 3 characters (RapidPro)
        ('Name ~ ""', "invalid_partial_name"),
        ('name ~ "x"', "invalid_partial_name"),
        ('name ~ "a b"', "invalid_partial_name"),
        ("tel ~ 23", "invalid_partial_urn"),
        ('urn ~ "23"', "invalid_partial_urn"),
        ("urns.tel ~ 12", "invalid_partial_urn"),
        ('whatsapp ~ "+1"', "invalid_partial_urn"),
        ('urn ~ ""', "invalid_partial_urn"),
        # Roster counts what is searched, once formatting is dropped (RapidPro takes these, but
        # prints `tel ~ 1`, which it then refuses)
        ('urn ~ "---"', "invalid_partial_urn"),
        ('tel ~ "(1)"', "invalid_partial_urn"),
        ('tel ~ "1-2"', "invalid_partial_urn"),
        # contains on anything else (RapidPro)
        ("age ~ 34", "unsupported_contains"),
        ("gender ~ M", "unsupported_contains"),
        ("uuid ~ 02352", "unsupported_contains"),
        ("status ~ sto", "unsupported_contains"),
        ("language ~ eng", "unsupported_contains"),
        ("group ~ porters", "unsupported_contains"),
        ("created_on ~ 2018", "unsupported_contains"),
        ("dob ~ 20-02-2020", "unsupported_contains"),
        ("state ~ Pichincha", "unsupported_contains"),
        # ordering beyond numbers and dates (RapidPro)
        ("name > Will", "unsupported_comparison"),
        ("tel < 23425", "unsupported_comparison"),
        ("uuid > 02352", "unsupported_comparison"),
        ("status > blo", "unsupported_comparison"),
        ("language > eng", "unsupported_comparison"),
        ("group > reporters", "unsupported_comparison"),
        ("urn > 02352", "unsupported_comparison"),
        ("urns.whatsapp >= 1", "unsupported_comparison"),
        ("gender > male", "unsupported_comparison"),
        ("state > Pichincha", "unsupported_comparison"),
        # what does not exist here (RapidPro's codes)
        ('xyz != ""', "unknown_property"),
        ("beers = 12", "unknown_property"),
        ("flow = registration", "unknown_property"),
        ("urns.twitter = bobby", "unknown_property"),
        ("twitter:bobby", "unknown_property"),
        ("mailto:amina@example.org", "unknown_property"),
        ("urns.urn = 1234", "unknown_property"),
        ("xxx.age = 12", "unknown_property_type"),
        ('group != "Gamers"', "invalid_group"),
        ('status = "xxxx"', "invalid_status"),
        ('language = "zzzzzz"', "invalid_language"),
        ("age = XZ", "invalid_number"),
        ("age = 1e400", "invalid_number"),
        ("dob = AB", "invalid_date"),
        ("created_on = AB", "invalid_date"),
        ("vip = maybe", "invalid_boolean"),
        # set checks on what is always set (RapidPro)
        ('uuid = ""', "unsupported_setcheck"),
        ('status = ""', "unsupported_setcheck"),
        ('created_on != ""', "unsupported_setcheck"),
        # an ordering with an empty value is refused as that ordering is (RapidPro)
        ('name > ""', "unsupported_comparison"),
        ('urn > ""', "unsupported_comparison"),
        ('age > ""', "invalid_number"),
        ('dob > ""', "invalid_date"),
        # syntax (RapidPro)
        ("name = ", "syntax"),
        ('name = "x', "syntax"),
        ("(age = 1", "syntax"),
        ('"name" = bob', "syntax"),
    )
)
