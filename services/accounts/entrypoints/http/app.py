"""The accounts service's routers."""

from __future__ import annotations

from services.accounts.entrypoints.http import keys, sessions, users

ROUTERS = (sessions.router, users.router, keys.router)
