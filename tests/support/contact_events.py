"""Contact events as the contacts service announces them, for tests and benches of the
services that follow them (each test gives the sequence, as the contact's aggregate would)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from shared.contracts.contacts import (
    ContactAnonymized,
    ContactCreated,
    ContactDeleted,
    ContactStatusChanged,
    ContactStatusName,
    ContactUpdated,
    OptInRecord,
)
from tests.support.events import AT

OPTED_IN = OptInRecord(status="opted_in", opted_in_at=AT, opt_in_method="import")


def contact_created(
    contact_id: str,
    name: str | None,
    phone: str,
    *,
    status: ContactStatusName = "active",
    opt_in: OptInRecord | None = None,
    language: str | None = "eng",
    groups: Sequence[str] = (),
) -> ContactCreated:
    """A contact, just created (active, consent unknown, unless told)."""
    return ContactCreated(
        contact_id=contact_id,
        name=name,
        phone=phone,
        secondary_phone=None,
        email=None,
        category=None,
        language=language,
        fields={},
        status=status,
        opt_in=opt_in or OptInRecord(),
        created_at=datetime.now(UTC),
        groups=list(groups),
    )


def contact_updated(contact_id: str, **changes: Any) -> ContactUpdated:
    return ContactUpdated(contact_id=contact_id, updated_at=AT, **changes)


def status_changed(
    contact_id: str,
    to_status: ContactStatusName,
    from_status: ContactStatusName = "active",
    opt_in: OptInRecord | None = None,
) -> ContactStatusChanged:
    return ContactStatusChanged(
        contact_id=contact_id,
        from_status=from_status,
        to_status=to_status,
        reason=None,
        actor="admin:ada",
        opt_in=opt_in or OptInRecord(),
        changed_at=AT,
    )


def contact_deleted(contact_id: str) -> ContactDeleted:
    return ContactDeleted(contact_id=contact_id, actor="admin:ada", deleted_at=AT)


def contact_anonymized(contact_id: str) -> ContactAnonymized:
    return ContactAnonymized(contact_id=contact_id, actor="admin:ada", anonymized_at=AT)
