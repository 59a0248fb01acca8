"""How a service stores its copy of a contact (`shared.contracts.contact_copy`): the
queryable shape of `shared.contactql.documents`, so one contactql filter selects copies as it
selects the contacts service's own documents. `groups` is left to the writer of memberships."""

from __future__ import annotations

from typing import TypeVar

from shared.contactql.documents import (
    field_value_from_document,
    field_values_document,
    searchable_attributes,
)
from shared.contracts.contact_copy import ACTIVE, ContactCopy
from shared.contracts.contacts import OptInRecord
from shared.mongo.client import Document

Copy = TypeVar("Copy", bound=ContactCopy)


def copy_state(contact: ContactCopy) -> Document:
    """Everything but `groups`."""
    return {
        "org_id": contact.org_id,
        "name": contact.name,
        "phone": contact.phone,
        "secondary_phone": contact.secondary_phone,
        "email": contact.email,
        "category": contact.category,
        "language": contact.language,
        "status": contact.status,
        "fields": field_values_document(contact.fields),
        **searchable_attributes(contact.name, contact.email, contact.category),
        "created_at": contact.created_at,
        "last_seen_at": contact.last_seen_at,
        "opt_in": contact.opt_in.model_dump() if contact.opt_in else None,
        "version": contact.version,
        "gone": contact.gone,
    }


def copy_from_document(kind: type[Copy], doc: Document) -> Copy:
    opt_in = doc.get("opt_in")
    return kind(
        id=doc["_id"],
        org_id=doc["org_id"],
        phone=doc.get("phone"),
        name=doc.get("name"),
        secondary_phone=doc.get("secondary_phone"),
        email=doc.get("email"),
        category=doc.get("category"),
        language=doc.get("language"),
        status=doc.get("status") or ACTIVE,
        fields={k: field_value_from_document(v) for k, v in (doc.get("fields") or {}).items()},
        groups=list(doc.get("groups") or []),
        created_at=doc.get("created_at"),
        last_seen_at=doc.get("last_seen_at"),
        opt_in=OptInRecord.model_validate(opt_in) if opt_in else None,
        version=int(doc.get("version") or 0),
        gone=bool(doc.get("gone")),
    )
