"""The Group aggregate: a named set of contacts (Glific's "collection"), manual or smart.

Every change — settings or members — increases the group's version, and each event carries the
version it produced as its sequence. Members themselves live in the contact projection and are
applied from the group's own `GroupMembershipChanged` events, in order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from services.groups.domain.errors import InvalidGroup, SmartGroupMembership
from shared.auth import Principal, Role
from shared.contracts.envelope import EventPayload
from shared.contracts.groups import (
    MAX_MEMBERSHIP_BATCH,
    GroupCreated,
    GroupDeleted,
    GroupMembershipChanged,
    GroupUpdated,
    MembershipReason,
)

MAX_NAME = 64
MAX_DESCRIPTION = 1000
MAX_STAFF = 1000
EDITABLE = ("name", "description", "query", "blacklisted", "staff")


class GroupType(StrEnum):
    MANUAL = "manual"
    SMART = "smart"


class SmartStatus(StrEnum):
    """Where a smart group's membership stands after its query was set."""

    EVALUATING = "evaluating"
    READY = "ready"
    INVALID = "invalid"


def clean_name(name: str) -> str:
    text = " ".join(name.split()) if name else ""
    if not text:
        raise InvalidGroup("a group needs a name", field="name")
    if len(text) > MAX_NAME:
        raise InvalidGroup(f"a group name has at most {MAX_NAME} characters", field="name")
    return text


@dataclass
class Group:
    id: str
    org_id: str
    name: str
    type: GroupType = GroupType.MANUAL
    description: str | None = None
    query: str | None = None
    blacklisted: bool = False
    staff: list[str] = field(default_factory=list)
    member_count: int = 0
    smart_status: SmartStatus | None = None
    smart_error: dict[str, Any] | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    version: int = 0
    deleted: bool = False
    # The query changed since the group was read: its membership must be evaluated again.
    query_changed: bool = field(default=False, repr=False)
    # New events, each with the version (sequence) it produced.
    events: list[tuple[EventPayload, int]] = field(default_factory=list, repr=False)

    @classmethod
    def create(
        cls,
        *,
        id: str,
        org_id: str,
        name: str,
        type: GroupType,
        description: str | None,
        query: str | None,
        blacklisted: bool,
        staff: Sequence[str],
        now: datetime,
    ) -> Group:
        """`query` is already validated and normalized (smart groups only)."""
        if (type is GroupType.SMART) != (query is not None):
            raise InvalidGroup("a smart group needs a query, a manual group has none")
        group = cls(
            id=id,
            org_id=org_id,
            name=clean_name(name),
            type=type,
            description=_clean_description(description),
            query=query,
            blacklisted=blacklisted,
            staff=_clean_staff(staff),
            smart_status=SmartStatus.EVALUATING if type is GroupType.SMART else None,
            created_at=now,
            updated_at=now,
            version=1,
        )
        group.events.append((GroupCreated(**group._state(), created_at=now), group.version))
        return group

    @property
    def is_smart(self) -> bool:
        return self.type is GroupType.SMART

    def visible_to(self, principal: Principal) -> bool:
        """Admins and managers see every group; staff only the groups assigned to them."""
        return principal.role is not Role.STAFF or principal.subject in self.staff

    def update(self, changes: dict[str, Any], now: datetime) -> list[str]:
        """Applies validated changes; a new query sends a smart group back to evaluating."""
        if "query" in changes and not self.is_smart:
            raise InvalidGroup("only smart groups have a query", field="query")
        if "query" in changes and changes["query"] is None:
            raise InvalidGroup("a smart group needs a query", field="query")
        cleaned = dict(changes)
        if "name" in cleaned:
            cleaned["name"] = clean_name(cleaned["name"])
        if "description" in cleaned:
            cleaned["description"] = _clean_description(cleaned["description"])
        if "staff" in cleaned:
            cleaned["staff"] = _clean_staff(cleaned["staff"])
        changed = [k for k in EDITABLE if k in cleaned and getattr(self, k) != cleaned[k]]
        if not changed:
            return []
        for key in changed:
            setattr(self, key, cleaned[key])
        if "query" in changed:
            self.smart_status = SmartStatus.EVALUATING
            self.smart_error = None
            self.query_changed = True
        self._touch(now)
        self.events.append(
            (GroupUpdated(**self._state(), changed=changed, updated_at=now), self.version)
        )
        return changed

    def delete(self, now: datetime) -> None:
        self.deleted = True
        self._touch(now)
        self.events.append((GroupDeleted(group_id=self.id, deleted_at=now), self.version))

    def check_manual_membership(self) -> None:
        if self.is_smart:
            raise SmartGroupMembership(
                "members of a smart group follow its query", group_id=self.id
            )

    def change_membership(
        self,
        *,
        added: Sequence[str],
        removed: Sequence[str],
        reason: MembershipReason,
        actor: str,
        now: datetime,
    ) -> None:
        """Records the change as events of at most MAX_MEMBERSHIP_BATCH ids each."""
        step = MAX_MEMBERSHIP_BATCH
        for ids, side in ((added, "added"), (removed, "removed")):
            for start in range(0, len(ids), step):
                self._touch(now)
                batch = list(ids[start : start + step])
                event = GroupMembershipChanged(
                    group_id=self.id, reason=reason, actor=actor, changed_at=now, **{side: batch}
                )
                self.events.append((event, self.version))

    def _touch(self, now: datetime) -> None:
        self.version += 1
        self.updated_at = now

    def _state(self) -> dict[str, Any]:
        return {
            "group_id": self.id,
            "name": self.name,
            "description": self.description,
            "type": self.type.value,
            "query": self.query,
            "blacklisted": self.blacklisted,
            "staff": list(self.staff),
        }


def _clean_description(description: str | None) -> str | None:
    text = (description or "").strip()
    if len(text) > MAX_DESCRIPTION:
        raise InvalidGroup(
            f"a description has at most {MAX_DESCRIPTION} characters", field="description"
        )
    return text or None


def _clean_staff(staff: Sequence[str]) -> list[str]:
    ids = list(dict.fromkeys(s.strip() for s in staff if s and s.strip()))
    if len(ids) > MAX_STAFF:
        raise InvalidGroup(f"at most {MAX_STAFF} staff per group", field="staff")
    return ids
