"""The importer's HTTP routes, in the order they are served."""

from __future__ import annotations

from services.importer.entrypoints.http import imports

ROUTERS = (imports.router,)
