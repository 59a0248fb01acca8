"""The dispatcher's registry: which handler each message goes to (see `shared.messagebus`).

Commands come from the HTTP API; the events it projects (contacts, groups) come next."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from services.dispatcher.domain import commands
from services.dispatcher.service_layer import channel_handlers
from shared.messagebus import Registration

COMMAND_HANDLERS: Mapping[type, Registration] = {
    commands.CreateChannel: channel_handlers.create_channel,
    commands.UpdateChannel: channel_handlers.update_channel,
    commands.DeleteChannel: channel_handlers.delete_channel,
}

EVENT_HANDLERS: Mapping[type, Sequence[Registration]] = {}
