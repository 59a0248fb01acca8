"""Group events produced straight to Kafka, for tests of the contacts service alone."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import httpx

from shared.contracts.envelope import EventPayload, wrap
from shared.contracts.groups import GroupCreated, GroupMembershipChanged
from shared.settings import ServiceSettings
from tests.support.eventually import eventually
from tests.support.kafka import produce


def group_event(org: str, group: str, seq: int, payload: EventPayload) -> bytes:
    envelope = wrap(payload, source="roster/groups", subject=group, org_id=org, sequence=seq)
    return envelope.model_dump_json().encode()


async def assign_staff(
    settings: ServiceSettings, org: str, staff: str, contact_ids: Sequence[str]
) -> str:
    """A new group assigned to `staff` with these contacts in it, as the groups service would
    announce it; returns the group id (see `wait_for_groups`)."""
    group = str(uuid.uuid4())
    now = datetime.now(UTC)
    created = GroupCreated(
        group_id=group,
        name=f"staff-{group[:8]}",
        description=None,
        type="manual",
        query=None,
        blacklisted=False,
        staff=[staff],
        created_at=now,
    )
    members = GroupMembershipChanged(
        group_id=group, added=list(contact_ids), reason="manual", actor="admin:t", changed_at=now
    )
    key = group.encode()
    await produce(
        settings.kafka_bootstrap,
        settings.kafka_topic_prefix + "roster.groups",
        [(key, group_event(org, group, 1, created)), (key, group_event(org, group, 2, members))],
    )
    return group


async def wait_for_groups(
    client: httpx.AsyncClient, headers: dict[str, str], contact_id: str, group: str
) -> None:
    async def groups() -> list[str]:
        response = await client.get(f"/v1/contacts/{contact_id}", headers=headers)
        return list(response.json().get("groups", [])) if response.status_code == 200 else []

    await eventually(groups, lambda found: group in found)
