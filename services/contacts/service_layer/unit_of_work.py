"""What a handler works with: the repositories and the clock.

There are no multi-document transactions (FerretDB has none): the unit of work is one aggregate,
whose new state and events are written by a single atomic document update.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from services.contacts.adapters.field_repository import FieldRepository
from services.contacts.adapters.group_directory import GroupDirectory
from services.contacts.adapters.repository import ContactRepository, OrganizationRepository
from shared.clock import utc_now


@dataclass
class ContactsUnitOfWork:
    contacts: ContactRepository
    organizations: OrganizationRepository
    fields: FieldRepository
    groups: GroupDirectory
    max_fields: int = 250
    clock: Callable[[], datetime] = utc_now
    new_id: Callable[[], str] = field(default=lambda: str(uuid.uuid4()))
