"""What a handler works with: the repositories and the clock.

There are no multi-document transactions (FerretDB has none): the unit of work is one aggregate,
whose new state and events are written by a single atomic document update.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from services.contacts.adapters.field_repository import FieldRepository
from services.contacts.adapters.repository import ContactRepository, OrganizationRepository


def utc_now() -> datetime:
    # Stores keep milliseconds; trimming here keeps events and documents equal.
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


@dataclass
class ContactsUnitOfWork:
    contacts: ContactRepository
    organizations: OrganizationRepository
    fields: FieldRepository
    max_fields: int = 250
    clock: Callable[[], datetime] = utc_now
    new_id: Callable[[], str] = field(default=lambda: str(uuid.uuid4()))
