"""Kafka consumers of the contacts service: the `contact.groups` projection of group memberships."""

from __future__ import annotations

from services.contacts.domain.commands import ApplyGroupMembership
from services.contacts.service_layer import handlers
from services.contacts.service_layer.unit_of_work import ContactsUnitOfWork
from shared.contracts.envelope import EventEnvelope
from shared.contracts.groups import GroupMembershipChanged
from shared.contracts.registry import parse_payload
from shared.kafka.consumer import EventHandler, PoisonEvent

CONSUMED_TOPICS = ("roster.groups",)


def group_events_handler(uow: ContactsUnitOfWork) -> EventHandler:
    async def handle(envelope: EventEnvelope) -> None:
        payload = parse_payload(envelope)
        if not isinstance(payload, GroupMembershipChanged):
            return  # other group events carry nothing the contacts service projects
        if envelope.sequence is None:
            raise PoisonEvent("GroupMembershipChanged without a sequence cannot be ordered")
        await handlers.apply_group_membership(
            ApplyGroupMembership(
                org_id=envelope.orgid,
                group_id=payload.group_id,
                sequence=envelope.sequence,
                added=payload.added,
                removed=payload.removed,
            ),
            uow,
        )

    return handle
