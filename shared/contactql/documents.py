"""The queryable shape of a contact document: the paths `mongo_filter` reads.

Any service that stores contacts to query them (the contacts service's aggregate, the groups
service's projection) writes these paths, so one filter builder serves both.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from shared.contactql.names import words
from shared.contactql.values import FieldType, FieldValue
from shared.mongo.client import Document


def searchable_attributes(name: str | None, email: str | None, category: str | None) -> Document:
    """Casefolded copies for exact text matches and name word prefixes."""
    return {
        "name_sort": (name or "").casefold(),
        "name_words": words(name or ""),
        "email_lc": email.casefold() if email else None,
        "category_lc": category.casefold() if category else None,
    }


def field_values_document(values: Mapping[str, FieldValue]) -> Document:
    return {key: field_value_document(value) for key, value in values.items()}


def field_value_document(value: FieldValue) -> Document:
    """The text, and the typed value under its type's name; numbers as doubles and text
    casefolded (`lc`) so that queries compare like the in-memory evaluator."""
    doc: Document = {"text": value.text, "type": value.type.value}
    if value.number is not None:
        doc["number"] = float(value.number)
    elif value.datetime is not None:
        doc["datetime"] = value.datetime
    elif value.boolean is not None:
        doc["boolean"] = value.boolean
    else:
        doc["lc"] = value.text.casefold()
    return doc


def field_value_from_document(doc: Document) -> FieldValue:
    number = doc.get("number")
    return FieldValue(
        text=doc["text"],
        type=FieldType(doc["type"]),
        number=Decimal(str(number)) if number is not None else None,
        datetime=doc.get("datetime"),
        boolean=doc.get("boolean"),
    )
