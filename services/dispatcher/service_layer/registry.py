"""The dispatcher's registry: which handler each message goes to (see `shared.messagebus`).

Commands come from the HTTP API, the background work (resolving broadcasts, the channels'
senders) and, over Kafka, the flows service (`SendMessage`: single messages); events come over
Kafka from the contacts service (contacts) and the groups service (groups and their
memberships), into the audience projection, and organisations' settings and custom fields
(quiet hours' time zone, templates' default language, queries' fields)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from services.dispatcher.domain import commands
from services.dispatcher.service_layer import (
    broadcast_handlers,
    channel_handlers,
    inbound_handlers,
    resolution,
    sending,
    single_messages,
    status_reports,
    template_handlers,
)
from shared.contracts.audience_copy import AUDIENCE_EVENT_HANDLERS
from shared.contracts.message_commands import SendMessage
from shared.contracts.organization_copy import ORGANIZATION_EVENT_HANDLERS
from shared.messagebus import Registration

COMMAND_HANDLERS: Mapping[type, Registration] = {
    commands.CreateChannel: channel_handlers.create_channel,
    commands.UpdateChannel: channel_handlers.update_channel,
    commands.DeleteChannel: channel_handlers.delete_channel,
    commands.CreateTemplate: template_handlers.create_template,
    commands.UpdateTemplate: template_handlers.update_template,
    commands.DeleteTemplate: template_handlers.delete_template,
    commands.CreateBroadcast: broadcast_handlers.create_broadcast,
    commands.ChangeBroadcastState: broadcast_handlers.change_broadcast_state,
    commands.ResolveBroadcast: resolution.resolve_broadcast,
    commands.SendNext: sending.send_next,
    commands.TakeWindow: sending.take_window,
    commands.HandOver: sending.hand_over,
    commands.RecordStatusReports: status_reports.record_status_reports,
    commands.ApplyStatusReports: status_reports.apply_status_reports,
    commands.ReceiveInbound: inbound_handlers.receive_inbound,
    commands.SendSingleMessages: single_messages.send_single_messages,
    SendMessage: single_messages.ask_to_send,
}

EVENT_HANDLERS: Mapping[type, Sequence[Registration]] = {
    **AUDIENCE_EVENT_HANDLERS,
    **ORGANIZATION_EVENT_HANDLERS,
}
