"""The routing table (`shared.http.routing`) against every route of every service's OpenAPI
document: each path is served by exactly one service, and the table sends it there (issue 18,
acceptance 2). The Helm chart's ingress renders the same table."""

from __future__ import annotations

import importlib

import pytest

from shared.http.routing import ROUTES, owner
from shared.settings import DEFAULT_PORTS, ServiceSettings

# Every service's `build_app`, the entry point `roster serve` uses.
BUILDERS = {
    service: importlib.import_module(f"services.{service}.bootstrap").build_app
    for service in DEFAULT_PORTS
}


@pytest.fixture(scope="module")
def paths() -> dict[str, list[str]]:
    """Each OpenAPI path with the services whose document has it."""
    settings = ServiceSettings()
    served: dict[str, list[str]] = {}
    for service, build in BUILDERS.items():
        for path in build(settings).openapi()["paths"]:
            served.setdefault(path, []).append(service)
    return served


def test_every_path_is_served_by_one_service_and_routed_to_it(
    paths: dict[str, list[str]],
) -> None:
    assert len(paths) > 40
    shared = {path: services for path, services in paths.items() if len(services) > 1}
    assert shared == {}
    misrouted = {path: (owner(path), s[0]) for path, s in paths.items() if owner(path) != s[0]}
    assert misrouted == {}


def test_every_prefix_of_the_table_is_used(paths: dict[str, list[str]]) -> None:
    """No route of the table points at nothing (a typo would send a real path astray)."""
    for prefix, service in ROUTES:
        assert any(owner(p) == service and p.startswith(prefix) for p in paths), prefix


@pytest.mark.parametrize(
    ("path", "service"),
    [
        ("/v1/contacts/c1/groups", "contacts"),  # the moved path's redirect
        ("/v1/memberships/c1", "groups"),
        ("/v1/admin/groups/memberships", "groups"),
        ("/v1/admin/contacts/memberships", "contacts"),
        ("/v1/groupsx", None),
        ("/v2/contacts", None),
    ],
)
def test_owner_matches_whole_segments(path: str, service: str | None) -> None:
    assert owner(path) == service
