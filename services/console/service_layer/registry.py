"""The console's registry: which handler each command goes to (see `shared.messagebus`). It
consumes no events: it keeps no data."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from services.console.domain import commands
from services.console.service_layer import handlers
from shared.messagebus import Registration

COMMAND_HANDLERS: Mapping[type, Registration] = {
    commands.SignIn: handlers.sign_in,
    commands.RefreshSession: handlers.refresh_session,
    commands.SignOut: handlers.sign_out,
}

EVENT_HANDLERS: Mapping[type, Sequence[Registration]] = {}
