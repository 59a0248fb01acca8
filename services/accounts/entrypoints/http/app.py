"""The accounts service's routers."""

from __future__ import annotations

from services.accounts.entrypoints.http import clients, keys, sessions, users

ROUTERS = (sessions.router, users.router, clients.router, keys.router)
