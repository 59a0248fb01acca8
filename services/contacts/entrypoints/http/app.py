"""The contacts service's HTTP routes, in the order they are served."""

from __future__ import annotations

from services.contacts.entrypoints.http import admin, contacts, fields, moved, organization

ROUTERS = (contacts.router, organization.router, fields.router, admin.memberships, moved.router)
