"""The groups service's HTTP routes, in the order they are served."""

from __future__ import annotations

from services.groups.entrypoints.http import admin, contact_groups, export, groups

ROUTERS = (groups.router, export.router, contact_groups.router, admin.router, admin.memberships)
