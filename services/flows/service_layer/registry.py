"""The flows service's registry: which handler each message goes to (see `shared.messagebus`).

Commands come from its API (keyword settings, flows, starts, triggers) and its background work (runs
timed out or expired).
Events come over Kafka: the contacts and groups services' (its audience copy, shared with the
dispatcher: `shared.contracts.audience_copy`), organisations' settings and fields (what start
queries are read against: `shared.contracts.organization_copy`), and the dispatcher's message
events and inbound messages (contacts' conversations)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from services.flows.domain import commands
from services.flows.service_layer import (
    conversation_handlers,
    flow_handlers,
    keyword_handlers,
    run_handlers,
    trigger_handlers,
)
from shared.contracts.audience_copy import AUDIENCE_EVENT_HANDLERS
from shared.contracts.contacts import (
    ContactAnonymized,
    ContactCreated,
    ContactDeleted,
    ContactStatusChanged,
    ContactUpdated,
)
from shared.contracts.inbound import InboundMessageReceived
from shared.contracts.messages import MessageDelivered, MessageFailed, MessageRead, MessageSent
from shared.contracts.organization_copy import ORGANIZATION_EVENT_HANDLERS
from shared.messagebus import Batched, Registration

COMMAND_HANDLERS: Mapping[type, Registration] = {
    commands.UpdateKeywords: keyword_handlers.update_keywords,
    commands.CreateFlow: flow_handlers.create_flow,
    commands.UpdateFlow: flow_handlers.update_flow,
    commands.DeleteFlow: flow_handlers.delete_flow,
    commands.ImportFlows: flow_handlers.import_flows,
    commands.StartFlow: run_handlers.start_flow,
    commands.WakeRuns: run_handlers.wake_runs,
    commands.CreateTrigger: trigger_handlers.create_trigger,
    commands.UpdateTrigger: trigger_handlers.update_trigger,
    commands.DeleteTrigger: trigger_handlers.delete_trigger,
}

_OUTBOUND = [Batched(conversation_handlers.record_outbound)]
_FORGET = [Batched(conversation_handlers.forget_contacts)]
_ATTACH = [Batched(conversation_handlers.attach_senders)]
_FOLLOW_UP = [Batched(conversation_handlers.settle_follow_ups)]

EVENT_HANDLERS: Mapping[type, Sequence[Registration]] = {
    **AUDIENCE_EVENT_HANDLERS,
    **ORGANIZATION_EVENT_HANDLERS,
    ContactAnonymized: [*AUDIENCE_EVENT_HANDLERS[ContactAnonymized], *_FORGET],
    ContactDeleted: [*AUDIENCE_EVENT_HANDLERS[ContactDeleted], *_FORGET],
    ContactCreated: [*AUDIENCE_EVENT_HANDLERS[ContactCreated], *_ATTACH],
    ContactUpdated: [*AUDIENCE_EVENT_HANDLERS[ContactUpdated], *_ATTACH, *_FOLLOW_UP],
    ContactStatusChanged: [*AUDIENCE_EVENT_HANDLERS[ContactStatusChanged], *_FOLLOW_UP],
    InboundMessageReceived: [Batched(conversation_handlers.record_inbound)],
    MessageSent: _OUTBOUND,
    MessageDelivered: _OUTBOUND,
    MessageRead: _OUTBOUND,
    MessageFailed: _OUTBOUND,
}
