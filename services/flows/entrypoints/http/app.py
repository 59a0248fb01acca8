"""The flows service's HTTP routes, in the order they are served."""

from __future__ import annotations

from services.flows.entrypoints.http import conversations, flows, keywords, triggers

ROUTERS = (conversations.router, keywords.router, flows.router, triggers.router)
