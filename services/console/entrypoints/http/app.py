"""The console's routers, in matching order: its session routes, the gateway, then the pages
(whose catch-all must come last)."""

from __future__ import annotations

from services.console.entrypoints.http import assets, gateway, session

ROUTERS = (session.router, gateway.router, assets.router)
