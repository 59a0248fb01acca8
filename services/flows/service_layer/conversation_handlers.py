"""Handlers that keep contacts' conversations: the dispatcher's message events, a run of them
at a time (a broadcast's thousand `MessageSent` in a few round trips)."""

from __future__ import annotations

from collections.abc import Sequence

from services.flows.domain.conversation import MessageEvent, OutboundChange
from services.flows.service_layer.unit_of_work import FlowsUnitOfWork
from shared.contracts.contacts import ContactAnonymized, ContactDeleted
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
