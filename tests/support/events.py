"""Contract events as their producers publish them, for tests that hand them to a service's bus
(each test gives the sequence, as the producing aggregate would)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from shared.contracts.contacts import FieldChanged, FieldDefined, FieldDeleted, FieldTypeName
from shared.contracts.groups import GroupCreated, GroupDeleted, GroupMembershipChanged, GroupUpdated
from shared.contracts.organizations import OrganizationUpdated

AT = datetime(2026, 1, 1, tzinfo=UTC)


def field_defined(key: str, type: FieldTypeName) -> FieldDefined:
    return FieldDefined(key=key, label=key, type=type, featured=False, order=0, updated_at=AT)


def field_changed(key: str, type: FieldTypeName, previous_type: FieldTypeName) -> FieldChanged:
    return FieldChanged(
        key=key,
        label=key,
        type=type,
        featured=False,
        order=0,
        changed=["type"],
        previous_type=previous_type,
        updated_at=AT,
    )


def field_deleted(key: str) -> FieldDeleted:
    return FieldDeleted(key=key, deleted_at=AT)


def organization_updated(
    org_id: str,
    *,
    timezone: str = "UTC",
    default_country: str | None = None,
    default_language: str | None = "eng",
) -> OrganizationUpdated:
    return OrganizationUpdated(
        org_id=org_id,
        name="Demo",
        default_country=default_country,
        default_language=default_language,
        timezone=timezone,
        changed=["timezone", "default_country"],
        updated_at=AT,
    )


def group_created(
    group_id: str, name: str, *, query: str | None = None, staff: Sequence[str] = ()
) -> GroupCreated:
    """A manual group, or a smart one when it has a query."""
    return GroupCreated(
        group_id=group_id,
        name=name,
        description=None,
        type="smart" if query else "manual",
        query=query,
        blacklisted=False,
        staff=list(staff),
        created_at=AT,
    )


def group_updated(
    group_id: str, name: str, *, query: str | None = None, staff: Sequence[str] = ()
) -> GroupUpdated:
    return GroupUpdated(
        group_id=group_id,
        name=name,
        description=None,
        type="smart" if query else "manual",
        query=query,
        blacklisted=False,
        staff=list(staff),
        changed=["name"],
        updated_at=AT,
    )


def group_deleted(group_id: str) -> GroupDeleted:
    return GroupDeleted(group_id=group_id, deleted_at=AT)


def membership_changed(
    group_id: str,
    *,
    added: Sequence[str] = (),
    removed: Sequence[str] = (),
    actor: str = "admin:tester",
) -> GroupMembershipChanged:
    """A change as the group itself records it (to deliver, redeliver or hand-craft one)."""
    return GroupMembershipChanged(
        group_id=group_id,
        added=list(added),
        removed=list(removed),
        reason="manual",
        actor=actor,
        changed_at=AT,
    )
