"""The accounts service's routers."""

from __future__ import annotations

from services.accounts.entrypoints.http import keys, sessions

ROUTERS = (sessions.router, keys.router)
