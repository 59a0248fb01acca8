"""Contact events as the contacts service announces them, for tests and benches of the
services that follow them."""

from __future__ import annotations

from datetime import UTC, datetime

from shared.contracts.contacts import ContactCreated, OptInRecord


def contact_created(contact_id: str, name: str, phone: str) -> ContactCreated:
    """An active contact, just created."""
    return ContactCreated(
        contact_id=contact_id,
        name=name,
        phone=phone,
        secondary_phone=None,
        email=None,
        category=None,
        language="eng",
        fields={},
        status="active",
        opt_in=OptInRecord(),
        created_at=datetime.now(UTC),
    )
