"""Kafka consumer of the contacts service: the group directory (names, staff, smart queries) and
the `contact.groups` projection of memberships, both from `roster.groups`."""

from __future__ import annotations

from services.contacts.domain.commands import ApplyGroupMembership
from services.contacts.service_layer import handlers
from services.contacts.service_layer.unit_of_work import ContactsUnitOfWork
from shared.contracts.envelope import EventEnvelope
from shared.contracts.groups import GroupCreated, GroupDeleted, GroupMembershipChanged, GroupUpdated
from shared.contracts.registry import parse_payload
from shared.contracts.topics import GROUPS
from shared.kafka.consumer import EventHandler, PoisonEvent

CONSUMED_TOPICS = (GROUPS.name,)


def group_events_handler(uow: ContactsUnitOfWork) -> EventHandler:
    async def handle(envelope: EventEnvelope) -> None:
        payload = parse_payload(envelope)
        if not isinstance(
            payload, GroupMembershipChanged | GroupCreated | GroupUpdated | GroupDeleted
        ):
            return
        if envelope.sequence is None:
            raise PoisonEvent(f"{envelope.event_type} without a sequence cannot be ordered")
        org_id, sequence = envelope.orgid, envelope.sequence
        if isinstance(payload, GroupMembershipChanged):
            await handlers.apply_group_membership(
                ApplyGroupMembership(
                    org_id=org_id,
                    group_id=payload.group_id,
                    sequence=sequence,
                    added=payload.added,
                    removed=payload.removed,
                ),
                uow,
            )
        elif isinstance(payload, GroupDeleted):
            await uow.groups.apply(org_id, payload.group_id, sequence, None)
            await uow.contacts.remove_group(org_id, payload.group_id)
        else:
            state = payload.model_dump(include={"name", "type", "query", "staff"})
            await uow.groups.apply(org_id, payload.group_id, sequence, state)

    return handle
