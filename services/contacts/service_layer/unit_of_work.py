"""What a handler works with: the repositories and projections (as ports), the clock and ids.

There are no multi-document transactions (FerretDB has none): the unit of work is one aggregate,
whose new state and events are written by a single atomic document update. This object only
gathers the ports, so that the bus injects one dependency instead of six.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from services.contacts.service_layer.ports import (
    ContactImports,
    ContactMemberships,
    ContactRepository,
    FieldRepository,
    GroupDirectory,
    OrganizationRepository,
)
from shared.clock import Clock, utc_now
from shared.ids import IdFactory, new_uuid


@dataclass
class ContactsUnitOfWork:
    contacts: ContactRepository
    imports: ContactImports
    memberships: ContactMemberships
    organizations: OrganizationRepository
    fields: FieldRepository
    groups: GroupDirectory
    max_fields: int = 250
    clock: Clock = utc_now
    new_id: IdFactory = field(default=new_uuid)
