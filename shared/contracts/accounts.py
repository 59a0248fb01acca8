"""Events published on `roster.accounts` (keyed by user id; the envelope's `orgid` is the
organisation the change is about): who belongs to an organisation, and with which role. Other
services keep their own copy (the groups service: who may be assigned to a group as staff)."""

from __future__ import annotations

from typing import ClassVar, Literal

from shared.contracts.envelope import EventPayload
from shared.contracts.topics import ACCOUNTS

RoleName = Literal["admin", "manager", "staff"]


class UserJoinedOrganization(EventPayload):
    event_type: ClassVar[str] = "UserJoinedOrganization"
    topic: ClassVar[str] = ACCOUNTS.name

    user_id: str
    role: RoleName
    name: str


class UserRoleChanged(EventPayload):
    event_type: ClassVar[str] = "UserRoleChanged"
    topic: ClassVar[str] = ACCOUNTS.name

    user_id: str
    role: RoleName


class UserLeftOrganization(EventPayload):
    """Removed from the organisation, or deactivated (then out of every organisation)."""

    event_type: ClassVar[str] = "UserLeftOrganization"
    topic: ClassVar[str] = ACCOUNTS.name

    user_id: str
