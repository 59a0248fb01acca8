"""One routing table for `/v1/...`: which service owns each path prefix. The Kubernetes ingress
(`deploy/helm/roster`) and the console's gateway route with it, so a path is served by exactly one
service; a test checks it against every route of every service's OpenAPI document."""

from __future__ import annotations

ROUTES: tuple[tuple[str, str], ...] = (
    ("/v1/contacts", "contacts"),
    ("/v1/fields", "contacts"),
    ("/v1/organization", "contacts"),
    ("/v1/admin/contacts", "contacts"),
    ("/v1/groups", "groups"),
    ("/v1/memberships", "groups"),
    ("/v1/admin/groups", "groups"),
    ("/v1/imports", "importer"),
    ("/v1/channels", "dispatcher"),
    ("/v1/templates", "dispatcher"),
    ("/v1/broadcasts", "dispatcher"),
    ("/v1/flows", "flows"),
    ("/v1/conversations", "flows"),
    ("/v1/keywords", "flows"),
    ("/v1/triggers", "flows"),
    ("/v1/sessions", "accounts"),
    ("/v1/users", "accounts"),
    ("/v1/invitations", "accounts"),
    ("/v1/clients", "accounts"),
    ("/v1/oauth", "accounts"),
    ("/.well-known/jwks.json", "accounts"),
)


def owner(path: str) -> str | None:
    """The service a path is routed to: its longest prefix in the table, matched on whole
    segments (`/v1/groups` does not take `/v1/groupsx`)."""
    matches = [(len(prefix), service) for prefix, service in ROUTES
               if path == prefix or path.startswith(prefix + "/")]  # fmt: skip
    return max(matches)[1] if matches else None
