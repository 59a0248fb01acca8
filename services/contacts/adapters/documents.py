"""Mapping between aggregates and their MongoDB documents."""

from __future__ import annotations

from typing import Any

from services.contacts.domain.model import Contact, ContactStatus, OptIn, StatusChange
from services.contacts.domain.organization import Organization
from shared.contactql.documents import (
    field_value_from_document,
    field_values_document,
    searchable_attributes,
)
from shared.mongo.client import Document

# How many status changes a contact document keeps (the full history is on the event stream).
STATUS_HISTORY_KEPT = 50


def phone_key(contact: Contact) -> str:
    """Uniqueness key: the phone, or a per-contact placeholder once the phone is gone.

    A unique index over a nullable phone would allow only one anonymized contact per organisation,
    and partial indexes are not available on every supported store.
    """
    return contact.phone or f"none:{contact.id}"


def contact_state(contact: Contact) -> Document:
    """Every field the aggregate owns; `groups` is a projection and is written by its consumer."""
    return {
        "org_id": contact.org_id,
        "phone": contact.phone,
        "phone_key": phone_key(contact),
        "name": contact.name,
        **searchable_attributes(contact.name, contact.email, contact.category),
        "secondary_phone": contact.secondary_phone,
        "email": contact.email,
        "category": contact.category,
        "language": contact.language,
        "fields": field_values_document(contact.fields),
        "status": contact.status.value,
        "opt_in": dict(contact.opt_in.__dict__),
        "status_history": [
            {
                "from": c.from_status.value,
                "to": c.to_status.value,
                "reason": c.reason,
                "actor": c.actor,
                "at": c.at,
            }
            for c in contact.status_history[-STATUS_HISTORY_KEPT:]
        ],
        "anonymized": contact.anonymized,
        "deleted": contact.deleted,
        "created_at": contact.created_at,
        "updated_at": contact.updated_at,
        "last_seen_at": contact.last_seen_at,
        "version": contact.version,
    }


def contact_from_document(doc: Document) -> Contact:
    return Contact(
        id=doc["_id"],
        org_id=doc["org_id"],
        phone=doc.get("phone"),
        name=doc.get("name"),
        secondary_phone=doc.get("secondary_phone"),
        email=doc.get("email"),
        category=doc.get("category"),
        language=doc.get("language"),
        fields={k: field_value_from_document(v) for k, v in (doc.get("fields") or {}).items()},
        status=ContactStatus(doc["status"]),
        opt_in=OptIn(**(doc.get("opt_in") or {})),
        groups=list(doc.get("groups") or []),
        status_history=[
            StatusChange(
                ContactStatus(c["from"]), ContactStatus(c["to"]), c["reason"], c["actor"], c["at"]
            )
            for c in doc.get("status_history") or []
        ],
        anonymized=bool(doc.get("anonymized")),
        deleted=bool(doc.get("deleted")),
        created_at=doc.get("created_at"),
        updated_at=doc.get("updated_at"),
        last_seen_at=doc.get("last_seen_at"),
        version=doc["version"],
    )


def organization_state(org: Organization) -> Document:
    return {
        "name": org.name,
        "default_country": org.default_country,
        "default_language": org.default_language,
        "timezone": org.timezone,
        "version": org.version,
        "updated_at": org.updated_at,
    }


def organization_from_document(doc: dict[str, Any]) -> Organization:
    return Organization(
        id=doc["_id"],
        name=doc.get("name"),
        default_country=doc.get("default_country"),
        default_language=doc.get("default_language"),
        timezone=doc.get("timezone") or "UTC",
        version=doc.get("version", 0),
        updated_at=doc.get("updated_at"),
    )
