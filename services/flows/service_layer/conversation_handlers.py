"""Handlers that keep contacts' conversations: the dispatcher's message events and inbound
messages, a run of them at a time (a broadcast's thousand `MessageSent` in a few round
trips)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from services.flows.domain.conversation import ConversationMessage, MessageEvent, OutboundChange
from services.flows.domain.follow_ups import KEYWORD_ACTOR, ConsentFollowUp
from services.flows.service_layer.run_handlers import interrupt_runs, route_messages
from services.flows.service_layer.unit_of_work import FlowsUnitOfWork
from shared.contracts.audience_copy import AudienceContact
from shared.contracts.consent import ChangeContactConsent
from shared.contracts.contacts import (
    ContactAnonymized,
    ContactCreated,
    ContactDeleted,
    ContactStatusChanged,
    ContactUpdated,
)
from shared.contracts.envelope import EventPayload
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
    """Each message in its sender's conversation, found by phone in the audience copy, with
    what it leads to (a STOP or JOIN keyword: the consent asked of the contacts service, sent
    with the message's own write); one from a number not known here yet waits for its
    contact (`attach_senders`)."""
    by_org: dict[str, list[Received[InboundMessageReceived]]] = {}
    for event in events:
        by_org.setdefault(event.org_id, []).append(event)
    for org_id, received in by_org.items():
        senders = await uow.audience.contacts_by_phone(org_id, [e.payload.phone for e in received])
        messages = [ConversationMessage.received(e.payload, org_id, senders.get(e.payload.phone))
                    for e in received]  # fmt: skip
        await _record(uow, org_id, messages, senders)


async def attach_senders(
    events: Sequence[Received[ContactCreated] | Received[ContactUpdated]], uow: FlowsUnitOfWork
) -> None:
    """A contact created for a new number (or given a phone) takes the messages that came from
    it before this service knew it, and what they said takes effect then. Runs after the
    audience copy took the same events."""
    by_org: dict[str, dict[str, str]] = {}
    for event in events:
        phone = event.payload.phone
        if phone:
            by_org.setdefault(event.org_id, {})[phone] = event.payload.contact_id
    for org_id, phones in by_org.items():
        waiting = await uow.conversations.waiting_for(org_id, list(phones))
        if not waiting:
            continue
        senders = await uow.audience.contacts_by_phone(org_id, list(phones))
        messages = [m.attributed(senders[m.phone]) for m in waiting if m.phone in senders]
        await _record(uow, org_id, messages, senders)
        await uow.conversations.forget_waiting([m.id for m in messages])


async def _record(
    uow: FlowsUnitOfWork,
    org_id: str,
    messages: list[ConversationMessage],
    senders: Mapping[str, AudienceContact],
) -> None:
    settings = await uow.keywords.get(org_id)
    commands: dict[str, list[EventPayload]] = {}
    follow_ups: dict[str, ConsentFollowUp] = {}
    for message in messages:
        sender = senders.get(message.phone or "")
        if sender is None or message.contact_id is None:
            continue
        reaction = settings.reaction(message.text, sender)
        if reaction.consent is None:
            continue
        commands[message.id] = [ChangeContactConsent(
            contact_id=sender.id, consent=reaction.consent, method=reaction.method,
            actor=KEYWORD_ACTOR, requested_at=message.at,
            reason=f"keyword {reaction.keyword}" if reaction.keyword else "message",
        )]  # fmt: skip
        follow_up = ConsentFollowUp(
            message_id=message.id, org_id=org_id, contact_id=sender.id,
            channel_id=message.channel_id, phone=message.phone or sender.phone or "",
            consent=reaction.consent, reply=reaction.reply, group_id=reaction.group_id,
            at=message.at,
        )  # fmt: skip
        if not follow_up.due(sender):
            follow_ups[message.id] = follow_up  # once the contacts service has applied it
        elif reaction.consent == "opted_in":  # already opted in: welcome and group again
            commands[message.id] += follow_up.commands(sender, uow.clock())
    unrouted = await uow.conversations.record_inbound(messages, commands, follow_ups)
    stopping = [c.contact_id for said in commands.values() for c in said
                if isinstance(c, ChangeContactConsent) and c.consent == "opted_out"]  # fmt: skip
    if stopping:
        await interrupt_runs(uow, org_id, stopping)
    # Anything else an active contact says goes to the run it waits in, or to a trigger
    # (opt-out and opt-in keywords always win); once: a redelivered message routed before
    # (the last answer of a run, say) must not start a trigger's flow.
    answering = {s.id: s for s in senders.values() if s.status == "active" and not s.gone}
    answers = [m for m in messages if m.id in unrouted and m.id not in commands
               and m.contact_id in answering]  # fmt: skip
    if answers:
        await route_messages(uow, org_id, answers, answering)
    await uow.conversations.mark_routed(sorted(unrouted))


async def settle_follow_ups(
    events: Sequence[Received[ContactStatusChanged] | Received[ContactUpdated]],
    uow: FlowsUnitOfWork,
) -> None:
    """The contacts service applied a consent (the audience copy took its event first): the
    confirmation, welcome and group a keyword asked for, now that the contact is where the
    keyword took it. Only a status or consent change can settle one: a contact seen again
    (`last_seen_at`, every inbound message) looks for nothing."""
    by_org: dict[str, set[str]] = {}
    for event in events:
        if isinstance(event.payload, ContactUpdated) and event.payload.opt_in is None:
            continue
        by_org.setdefault(event.org_id, set()).add(event.payload.contact_id)
    for org_id, contact_ids in by_org.items():
        pending = await uow.conversations.pending_follow_ups(org_id, sorted(contact_ids))
        if not pending:
            continue
        contacts = await uow.audience.get_contacts(org_id, [f.contact_id for f in pending])
        for follow_up in pending:
            contact = contacts.get(follow_up.contact_id)
            if contact is not None and not contact.gone and follow_up.due(contact):
                await uow.conversations.settle_follow_up(
                    follow_up, follow_up.commands(contact, uow.clock())
                )
