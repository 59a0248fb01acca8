"""RapidPro parity, in meaning: every query of the table (`tests.support.rapidpro_queries`)
selects exactly the contacts its row names, whether it runs in memory (smart groups), as a store
filter over the contacts service's documents (lists, counts), or as a store filter over the copies
the groups service and the dispatcher keep (members by query, broadcast audiences).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from pymongo.asynchronous.collection import AsyncCollection

from services.contacts.adapters.contact_collection import new_document
from services.contacts.adapters.documents import contact_from_document
from services.contacts.domain.fields import coerce_value
from services.contacts.domain.model import Contact, ContactStatus
from shared.contactql.evaluate import matches
from shared.contactql.mongo_filter import query_filter
from shared.contactql.resolve import parse_query
from shared.contactql.syntax import MAX_CONDITIONS, MAX_NESTING
from shared.contracts.contact_copy import ContactCopy
from shared.mongo.client import Document, connect_store
from shared.mongo.contact_copies import copy_state
from shared.settings import ServiceSettings
from tests.support.rapidpro_queries import CONTEXT, PARSED, PEOPLE, Parsed, Person


@dataclass
class Stored:
    """The table's people as the contacts service and as another service's copy store them."""

    org_id: str
    contacts: dict[str, Contact]  # by label
    labels: dict[str, str]  # contact id -> label
    contact_documents: AsyncCollection[Document]
    copy_documents: AsyncCollection[Document]


def _contact(person: Person, org_id: str) -> Contact:
    fields = {
        key: coerce_value(key, raw, CONTEXT.fields[key], CONTEXT.timezone)
        for key, raw in person.fields.items()
    }
    assert person.phone is not None
    contact = Contact.create(
        id=str(uuid.uuid4()),
        org_id=org_id,
        phone=person.phone,
        now=person.created_at,
        attributes={
            "name": person.name,
            "secondary_phone": person.secondary_phone,
            "email": person.email,
            "category": person.category,
            "language": person.language,
            "fields": {k: v for k, v in fields.items() if v is not None},
        },
        groups=person.groups,
    )
    contact.status = ContactStatus(person.status)
    contact.last_seen_at = person.last_seen_at
    if person.anonymized:
        contact.anonymize(actor="tester", now=person.created_at)
        # Its random code, fixed: a row's name search must not match it by chance.
        contact.name = "anon-7777777777"
    return contact


def _copy_document(contact: Contact) -> Document:
    copy = ContactCopy(
        id=contact.id,
        org_id=contact.org_id,
        phone=contact.phone,
        name=contact.name,
        secondary_phone=contact.secondary_phone,
        email=contact.email,
        category=contact.category,
        language=contact.language,
        status=contact.status.value,
        fields=dict(contact.fields),
        groups=list(contact.groups),
        created_at=contact.created_at,
        last_seen_at=contact.last_seen_at,
    )
    return {"_id": copy.id, **copy_state(copy), "groups": list(copy.groups)}


@pytest.fixture(scope="module")
async def stored(settings: ServiceSettings) -> AsyncIterator[Stored]:
    store = await connect_store(settings.mongodb_url)
    database = store.client[settings.database_name("rapidpro-parity")]
    org_id = f"org-{uuid.uuid4().hex}"
    contacts = {p.label: _contact(p, org_id) for p in PEOPLE}
    documents = []
    for contact in contacts.values():
        doc = new_document(contact)
        doc["groups"] = list(contact.groups)  # as the membership consumer writes it
        documents.append(doc)
    await database["contacts"].insert_many(documents)
    await database["copies"].insert_many([_copy_document(c) for c in contacts.values()])
    try:
        yield Stored(
            org_id=org_id,
            contacts=contacts,
            labels={c.id: label for label, c in contacts.items()},
            contact_documents=database["contacts"],
            copy_documents=database["copies"],
        )
    finally:
        await store.client.drop_database(database.name)
        await store.close()


async def test_the_people_are_stored_as_written(stored: Stored) -> None:
    """The anonymized contact has no phone left, the others keep theirs."""
    docs = await stored.contact_documents.find({"org_id": stored.org_id}).to_list()
    phones = {stored.labels[d["_id"]]: d.get("phone") for d in docs}
    assert phones["anon"] is None
    assert phones["amina"] == "+254712345678"
    assert len(docs) == len(PEOPLE)


@pytest.mark.parametrize("row", PARSED, ids=[row.query for row in PARSED])
async def test_query_selects_the_contacts_its_row_names(stored: Stored, row: Parsed) -> None:
    query = parse_query(row.query, CONTEXT)
    flt = {"$and": [{"org_id": stored.org_id}, query_filter(query.predicate)]}

    in_memory = {label for label, c in stored.contacts.items() if matches(query.predicate, c)}
    contact_docs = await stored.contact_documents.find(flt).to_list()
    read_back = {
        stored.labels[d["_id"]]
        for d in contact_docs
        if matches(query.predicate, contact_from_document(d))
    }
    from_contacts = {stored.labels[d["_id"]] for d in contact_docs}
    copy_docs = await stored.copy_documents.find(flt, {"_id": 1}).to_list()
    from_copies = {stored.labels[d["_id"]] for d in copy_docs}

    assert in_memory == row.matches, f"in memory: {query.text!r}"
    assert from_contacts == row.matches, f"contacts' store filter: {query.text!r}"
    assert read_back == row.matches, f"read back from the store: {query.text!r}"
    assert from_copies == row.matches, f"copies' store filter: {query.text!r}"


def _nested(levels: int) -> str:
    """`age = 1000 OR (age != 99 AND (age = 1000 OR (... age = 18)))`: AND and OR nested
    `levels` deep around `age = 18`, which alone decides who matches."""
    query = "age = 18"
    for level in range(levels):
        query = f"age = 1000 OR ({query})" if level % 2 == 0 else f"age != 99 AND ({query})"
    return query


@pytest.mark.parametrize(
    ("query", "who"),
    [
        # The deepest nesting the language takes: the store reads it as the evaluator does.
        (_nested(MAX_NESTING), {"will"}),
        # As many conditions as RapidPro takes.
        (" OR ".join([*(f"age = {n}" for n in range(MAX_CONDITIONS - 1)), "urn ~ 555"]),
         {"amina", "j", "will", "jdoe", "ann", "matt"}),
    ],
)  # fmt: skip
async def test_the_largest_queries_the_language_takes_run_in_the_store(
    stored: Stored, query: str, who: set[str]
) -> None:
    parsed = parse_query(query, CONTEXT)
    flt = {"$and": [{"org_id": stored.org_id}, query_filter(parsed.predicate)]}
    found = {stored.labels[d["_id"]] for d in await stored.contact_documents.find(flt).to_list()}
    in_memory = {label for label, c in stored.contacts.items() if matches(parsed.predicate, c)}
    assert found == in_memory == who
