"""What a handler works with: the group repository, the projections and the clock.

No multi-document transactions: a group's change and its events are one document update; the
members follow from those events (see `membership_handlers`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from services.groups.adapters.contact_projection import ContactProjection
from services.groups.adapters.group_repository import GroupRepository
from services.groups.adapters.member_change_repository import MemberChangeRepository
from services.groups.adapters.organization_projection import OrganizationProjection
from shared.clock import utc_now


@dataclass
class GroupsUnitOfWork:
    groups: GroupRepository
    contacts: ContactProjection
    organizations: OrganizationProjection
    member_changes: MemberChangeRepository
    max_groups: int = 250
    clock: Callable[[], datetime] = utc_now
    new_id: Callable[[], str] = field(default=lambda: str(uuid.uuid4()))
