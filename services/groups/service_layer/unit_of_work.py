"""What a handler works with: the group repository and the projections (as ports), the clock
and ids.

No multi-document transactions: a group's change and its events are one document update; the
members follow from those events (see `membership_handlers`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from services.groups.service_layer.ports import (
    ContactProjection,
    GroupRepository,
    MemberChangeRepository,
    OrganizationUsers,
    PendingJoinRepository,
)
from shared.clock import Clock, utc_now
from shared.contracts.organization_copy import OrganizationCopies
from shared.ids import IdFactory, new_uuid


@dataclass
class GroupsUnitOfWork:
    groups: GroupRepository
    contacts: ContactProjection
    organizations: OrganizationCopies
    member_changes: MemberChangeRepository
    pending_joins: PendingJoinRepository
    users: OrganizationUsers
    max_groups: int = 250
    clock: Clock = utc_now
    new_id: IdFactory = field(default=new_uuid)
