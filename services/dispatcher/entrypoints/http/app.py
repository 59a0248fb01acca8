"""The dispatcher's HTTP routes, in the order they are served."""

from __future__ import annotations

from services.dispatcher.entrypoints.http import (
    broadcasts,
    callbacks,
    channels,
    inbound,
    templates,
)

ROUTERS = (
    channels.router,
    callbacks.router,
    inbound.router,
    templates.router,
    broadcasts.router,
)
