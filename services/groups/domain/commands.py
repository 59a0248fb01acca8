"""What callers ask the groups service to do, in the imperative. Raw input; handlers validate."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shared.auth import Principal

MAX_IDS_PER_CALL = 10_000


@dataclass(frozen=True)
class CreateGroup:
    by: Principal
    name: str
    description: str | None = None
    query: str | None = None  # given: a smart group
    blacklisted: bool = False
    staff: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class UpdateGroup:
    by: Principal
    group_id: str
    changes: dict[str, Any]
    expected_version: int | None = None


@dataclass(frozen=True)
class DeleteGroup:
    by: Principal
    group_id: str


@dataclass(frozen=True)
class ChangeMembers:
    """Add (or remove) the listed contacts."""

    by: Principal
    group_id: str
    add: bool
    contact_ids: list[str]


@dataclass(frozen=True)
class ChangeMembersByQuery:
    """Add (or remove) every contact matching `query` right now: recorded, then run."""

    by: Principal
    group_id: str
    add: bool
    query: str


@dataclass(frozen=True)
class RunMemberChange:
    org_id: str
    change_id: str


@dataclass(frozen=True)
class EvaluateSmartGroup:
    org_id: str
    group_id: str


@dataclass(frozen=True)
class RecountMembers:
    """Take the group's member count again from its members (a repair)."""

    by: Principal
    group_id: str


@dataclass(frozen=True)
class RepublishMemberships:
    """Announce these memberships again, as they stand (a repair: the contacts service's
    projection follows the events)."""

    by: Principal
    group_id: str
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
