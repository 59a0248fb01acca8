"""Handlers that keep contacts' conversations: the dispatcher's message events and inbound
messages, a run of them at a time (a broadcast's thousand `MessageSent` in a few round
trips)."""

from __future__ import annotations

from collections.abc import Sequence

from services.flows.domain.conversation import ConversationMessage, MessageEvent, OutboundChange
from services.flows.service_layer.unit_of_work import FlowsUnitOfWork
from shared.contracts.contacts import (
    ContactAnonymized,
    ContactCreated,
    ContactDeleted,
    ContactUpdated,
)
from shared.contracts.inbound import InboundMessageReceived
from shared.messagebus import Received


async def record_outbound(events: Sequence[Received[MessageEvent]], uow: FlowsUnitOfWork) -> None:
    await uow.conversations.record_outbound(
        [OutboundChange.of(e.payload, e.org_id) for e in events]
    )


async def forget_contacts(
    events: Sequence[Received[ContactAnonymized] | Received[ContactDeleted]],
    uow: FlowsUnitOfWork,
) -> None:
    """A contact deleted or anonymized takes its conversation with it."""
    by_org: dict[str, list[str]] = {}
    for event in events:
        by_org.setdefault(event.org_id, []).append(event.payload.contact_id)
    for org_id, contact_ids in by_org.items():
        await uow.conversations.forget_contacts(org_id, contact_ids)


async def record_inbound(
    events: Sequence[Received[InboundMessageReceived]], uow: FlowsUnitOfWork
) -> None:
    """Each message in its sender's conversation, found by phone in the audience copy; one
    from a number not known here yet waits for its contact (`attach_senders`)."""
    by_org: dict[str, list[Received[InboundMessageReceived]]] = {}
    for event in events:
        by_org.setdefault(event.org_id, []).append(event)
    for org_id, received in by_org.items():
        senders = await uow.audience.contacts_by_phone(org_id, [e.payload.phone for e in received])
        await uow.conversations.record_inbound([
            ConversationMessage.received(e.payload, org_id, senders.get(e.payload.phone))
            for e in received
        ])  # fmt: skip


async def attach_senders(
    events: Sequence[Received[ContactCreated] | Received[ContactUpdated]], uow: FlowsUnitOfWork
) -> None:
    """A contact created for a new number (or given a phone) takes the messages that came from
    it before this service knew it. Runs after the audience copy took the same events."""
    by_org: dict[str, dict[str, str]] = {}
    for event in events:
        phone = event.payload.phone
        if phone:
            by_org.setdefault(event.org_id, {})[phone] = event.payload.contact_id
    for org_id, senders in by_org.items():
        await uow.conversations.attach(org_id, senders)
