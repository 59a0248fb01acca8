"""Authentication on every route, and isolation between organisations (tenants).

Routes are discovered from the app itself, so a route added later is probed without anyone
remembering to add it here.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.routing import APIRoute

from services.contacts.bootstrap import ContactsService
from services.groups.bootstrap import GroupsService
from services.importer.bootstrap import ImporterService
from shared.auth import Role, TokenCodec
from shared.settings import ServiceSettings
from tests.support.contacts_api import create, define_field

Auth = Callable[..., dict[str, str]]

PUBLIC = {"/healthz", "/readyz", "/metrics"}

# A plausible body per route, so a missing token is the only thing wrong with each probe.
BODIES: dict[tuple[str, str], Callable[[str, str], Any]] = {
    ("POST", "/v1/contacts"): lambda cid, phone: {"phone": phone, "name": "Probe"},
    ("POST", "/v1/contacts/batch"): lambda cid, phone: {"contacts": [{"phone": phone}]},
    ("PATCH", "/v1/contacts/{contact_id}"): lambda cid, phone: {"name": "Probe", "version": 1},
    ("POST", "/v1/contacts/{contact_id}/status"): lambda cid, phone: {"status": "archived"},
    ("POST", "/v1/contacts/actions"): lambda cid, phone: {"action": "archive", "ids": [cid]},
    ("PATCH", "/v1/organization"): lambda cid, phone: {"timezone": "Africa/Nairobi"},
    ("POST", "/v1/fields"): lambda cid, phone: {"label": "Probe", "type": "number"},
    ("PATCH", "/v1/fields/{key}"): lambda cid, phone: {"type": "number"},
    ("POST", "/v1/contacts/query/parse"): lambda cid, phone: {"query": "district = x"},
}


def new_phone() -> str:
    return "+2547" + "".join(random.choices("0123456789", k=8))


def error_code(response: httpx.Response) -> str | None:
    try:
        code = response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None
    return str(code)


def _api_routes(app: FastAPI) -> list[tuple[str, set[str]]]:
    """(path, methods) of every APIRoute, including those of included routers.

    FastAPI 0.16x keeps an included router as one branch entry in `app.routes`, so a flat
    `isinstance(route, APIRoute)` scan would see only the app's own routes; its public
    `iter_route_contexts` walks the branches (older versions flatten `app.routes` themselves).
    """
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # pragma: no cover - FastAPI versions that flatten included routers
        return [(r.path, set(r.methods or ())) for r in app.routes if isinstance(r, APIRoute)]
    return [
        (str(ctx.path), set(ctx.methods or ()))
        for ctx in iter_route_contexts(app.routes)
        if isinstance(ctx.original_route, APIRoute)
    ]


def business_routes(service: ContactsService) -> list[tuple[str, str]]:
    """(method, path template) of every API route except probes and the generated docs."""
    app = service.app
    docs = {app.openapi_url, app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url}
    found = {
        (method, path)
        for path, methods in _api_routes(app)
        if path not in PUBLIC | docs
        for method in methods
    }
    return sorted(found)


def documented_operations(service: ContactsService) -> set[tuple[str, str]]:
    """What the OpenAPI document advertises: an independent list of the routes to probe."""
    paths: dict[str, dict[str, Any]] = service.app.openapi()["paths"]
    return {(method.upper(), path) for path, item in paths.items() for method in item}


# --- authentication ---------------------------------------------------------------------------


async def test_every_route_refuses_missing_and_bad_tokens(
    client: httpx.AsyncClient,
    auth: Auth,
    org: str,
    settings: ServiceSettings,
    contacts_service: ContactsService,
) -> None:
    """No business route answers without a valid token: 401 `unauthorized`, nothing changed."""
    contact = await create(client, auth(org), phone=new_phone(), name="Behind Auth")
    await define_field(client, auth(org), "District", "district")
    routes = business_routes(contacts_service)
    assert ("POST", "/v1/contacts") in routes
    assert ("GET", "/v1/contacts/{contact_id}") in routes
    assert len(routes) >= 10, routes
    assert documented_operations(contacts_service) <= set(routes), routes

    other_key = TokenCodec("another-signing-key-" * 3, settings.jwt_issuer, settings.jwt_audience)
    ours = TokenCodec(settings.jwt_signing_key, settings.jwt_issuer, settings.jwt_audience)
    wrong_audience = TokenCodec(settings.jwt_signing_key, settings.jwt_issuer, "someone-else")
    valid = ours.issue(org, Role.ADMIN, "tester")
    credentials: dict[str, dict[str, str]] = {
        "none": {},
        "empty bearer": {"Authorization": "Bearer "},
        "garbage": {"Authorization": "Bearer not.a.jwt"},
        "other key": {"Authorization": "Bearer " + other_key.issue(org, Role.ADMIN, "x")},
        "expired": {"Authorization": "Bearer " + ours.issue(org, Role.ADMIN, "x", -60)},
        "wrong audience": {"Authorization": "Bearer " + wrong_audience.issue(org, Role.ADMIN, "x")},
        "wrong scheme": {"Authorization": "Basic " + valid},
    }

    failures: list[str] = []
    probes = 0
    for method, template in routes:
        path = template.replace("{contact_id}", contact["id"]).replace("{key}", "district")
        assert "{" not in path, f"unfilled path parameter in {template}"
        make_body = BODIES.get((method, template))
        body = make_body(contact["id"], new_phone()) if make_body else None
        for label, headers in credentials.items():
            response = await client.request(method, path, json=body, headers=headers)
            probes += 1
            if response.status_code != 401 or error_code(response) != "unauthorized":
                failures.append(f"{method} {template} [{label}] → {response.status_code}")
            elif contact["phone"] in response.text or "Behind Auth" in response.text:
                failures.append(f"{method} {template} [{label}] leaks contact data")
    assert failures == []
    assert probes == len(routes) * len(credentials)

    after = await client.get(f"/v1/contacts/{contact['id']}", headers=auth(org))
    assert after.json() == contact
    listed = await client.get("/v1/contacts", params={"status": "any"}, headers=auth(org))
    assert [c["id"] for c in listed.json()["items"]] == [contact["id"]]
    organisation = await client.get("/v1/organization", headers=auth(org))
    assert organisation.json()["version"] == 0


async def test_generated_api_docs_are_public_but_hold_no_tenant_data(
    client: httpx.AsyncClient, auth: Auth, org: str
) -> None:
    """/docs and /openapi.json are served without a token: they must describe, never contain."""
    contact = await create(
        client, auth(org), phone=new_phone(), name="Docs Probe", email="probe@example.org"
    )
    secrets = [contact["id"], contact["phone"], contact["phone"][1:], "Docs Probe", org]
    for path in ("/openapi.json", "/docs", "/redoc"):
        response = await client.get(path)
        assert response.status_code == 200, path
        leaked = [s for s in secrets if s in response.text]
        assert leaked == [], (path, leaked)
    spec = (await client.get("/openapi.json")).json()
    assert "/v1/contacts" in spec["paths"]
    assert "/v1/contacts/{contact_id}" in spec["paths"]


async def test_probes_and_metrics_answer_without_a_token(client: httpx.AsyncClient) -> None:
    """Orchestrators and Prometheus have no tenant token; these routes carry no tenant data."""
    health = await client.get("/healthz")
    assert health.status_code == 200
    assert health.json() == {
        "status": "ok",
        "service": "contacts",
        "checks": {"consumer": True, "relay": True},
    }
    ready = await client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json() == {
        "status": "ready",
        "checks": {"mongodb": True, "kafka": True},
        "degraded": [],
    }
    metrics = await client.get("/metrics")
    assert metrics.status_code == 200
    assert "roster_http_requests_total" in metrics.text
    assert 'roster_dependency_up{dependency="kafka",service="contacts"} 1.0' in metrics.text


# --- tenancy ----------------------------------------------------------------------------------


async def test_another_organisation_never_sees_or_changes_a_contact(
    client: httpx.AsyncClient, auth: Auth, org: str
) -> None:
    """A valid token of org B acts as if org A's contact did not exist: 404, never data."""
    org_a, org_b = org, f"{org}-b"
    a, b = auth(org_a), auth(org_b)
    phone = new_phone()
    await define_field(client, a, "District", "district")
    created = await create(
        client,
        a,
        phone=phone,
        name="Tenant A Person",
        email="person@tenant-a.example",
        category="vip",
        fields={"district": "Kisumu"},
    )
    contact_id = created["id"]
    # Archived, so that a leaking DELETE from org B would actually succeed.
    archived = await client.post(
        f"/v1/contacts/{contact_id}/status", json={"status": "archived"}, headers=a
    )
    assert archived.status_code == 200
    snapshot = archived.json()
    url = f"/v1/contacts/{contact_id}"

    leaks: list[str] = []

    def expect_404(label: str, response: httpx.Response) -> None:
        if response.status_code != 404 or error_code(response) != "not_found":
            leaks.append(f"{label} → {response.status_code} {response.text[:120]}")
        elif phone in response.text or "Tenant A" in response.text:
            leaks.append(f"{label} 404 body names the contact")

    expect_404("GET", await client.get(url, headers=b))
    expect_404("PATCH", await client.patch(url, json={"name": "Hijacked"}, headers=b))
    expect_404("PATCH version", await client.patch(url, json={"version": 2}, headers=b))
    expect_404("PATCH phone", await client.patch(url, json={"phone": new_phone()}, headers=b))
    for status in ("active", "blocked", "stopped"):
        expect_404(
            f"status {status}",
            await client.post(f"{url}/status", json={"status": status}, headers=b),
        )
    expect_404("anonymize", await client.post(f"{url}/anonymize", headers=b))
    expect_404("DELETE", await client.delete(url, headers=b))

    for action in ("block", "unblock", "archive", "restore", "stop", "delete"):
        response = await client.post(
            "/v1/contacts/actions", json={"action": action, "ids": [contact_id]}, headers=b
        )
        results = response.json().get("results") if response.status_code == 200 else None
        if results != [
            {
                "id": contact_id,
                "status": "error",
                "error": {
                    "code": "not_found",
                    "message": "contact not found",
                    "details": {"id": contact_id},
                },
            }
        ]:
            leaks.append(f"action {action} → {response.status_code} {response.text[:160]}")

    for params in (
        {"status": "any"},
        {"status": "archived"},
        {"status": "any", "q": phone},
        {"status": "any", "q": phone[-6:]},
        {"status": "any", "q": "Tenant A"},
        {"status": "any", "category": "vip"},
    ):
        response = await client.get("/v1/contacts", params=params, headers=b)
        if response.status_code != 200 or response.json()["items"]:
            leaks.append(f"list {params} → {response.status_code} {response.text[:160]}")

    batch = await client.post(
        "/v1/contacts/batch", json={"contacts": [{"phone": phone, "name": "B"}]}, headers=b
    )
    assert batch.status_code == 200, batch.text
    assert (batch.json()["created"], batch.json()["failed"]) == (1, 0), batch.text
    b_contact = batch.json()["results"][0]["contact"]
    assert b_contact["phone"] == phone
    assert b_contact["id"] != contact_id
    b_list = await client.get("/v1/contacts", params={"status": "any", "q": phone}, headers=b)
    assert [c["id"] for c in b_list.json()["items"]] == [b_contact["id"]]

    b_settings = await client.patch("/v1/organization", json={"default_country": "KE"}, headers=b)
    assert b_settings.status_code == 200

    # Fields and queries: org A's field does not exist for org B, and B's queries see only B.
    field_url = "/v1/fields/district"
    expect_404("GET field", await client.get(field_url, headers=b))
    expect_404("PATCH field", await client.patch(field_url, json={"label": "X"}, headers=b))
    expect_404("DELETE field", await client.delete(field_url, headers=b))
    b_fields = await client.get("/v1/fields", headers=b)
    if b_fields.status_code != 200 or b_fields.json() != []:
        leaks.append(f"list fields → {b_fields.status_code} {b_fields.text[:160]}")
    unknown = await client.get(
        "/v1/contacts", params={"query": "district = Kisumu", "status": "any"}, headers=b
    )
    if error_code(unknown) != "unknown_property":
        leaks.append(f"query on A's field → {unknown.status_code} {unknown.text[:160]}")
    await define_field(client, b, "District", "district")
    for query in ("district = Kisumu", 'district != ""', "Tenant", f"tel = {phone}", "vip"):
        listed = await client.get(
            "/v1/contacts", params={"query": query, "status": "any"}, headers=b
        )
        counted = await client.get(
            "/v1/contacts/count", params={"query": query, "status": "any"}, headers=b
        )
        ids = [c["id"] for c in listed.json().get("items", [])]
        if contact_id in ids or (counted.json().get("count", 0) > (1 if "tel" in query else 0)):
            leaks.append(f"query {query!r} → {listed.text[:120]} / {counted.text[:80]}")
    assert (await client.get(field_url, headers=a)).json()["label"] == "District"

    assert leaks == []
    after = await client.get(url, headers=a)
    assert after.status_code == 200
    assert after.json() == snapshot
    assert (await client.get("/v1/organization", headers=a)).json()["default_country"] is None
    a_list = await client.get("/v1/contacts", params={"status": "any"}, headers=a)
    assert [c["id"] for c in a_list.json()["items"]] == [contact_id]


async def test_every_route_of_the_groups_and_importer_services_refuses_missing_tokens(
    groups_service: GroupsService,
    groups_client: httpx.AsyncClient,
    importer_service: ImporterService,
    importer_client: httpx.AsyncClient,
    settings: ServiceSettings,
    org: str,
) -> None:
    """The same guard as above for the other built services: a route added to either is probed
    without anyone listing it."""
    other_key = TokenCodec("another-signing-key-" * 3, settings.jwt_issuer, settings.jwt_audience)
    credentials: dict[str, dict[str, str]] = {
        "none": {},
        "other key": {"Authorization": "Bearer " + other_key.issue(org, Role.ADMIN, "x")},
    }
    failures: list[str] = []
    probed: dict[str, int] = {}
    for name, app, http in (
        ("groups", groups_service.app, groups_client),
        ("importer", importer_service.app, importer_client),
    ):
        routes = sorted(
            (method, path)
            for path, methods in _api_routes(app)
            if path not in PUBLIC | {app.openapi_url, app.docs_url, app.redoc_url}
            and path != app.swagger_ui_oauth2_redirect_url
            for method in methods
        )
        probed[name] = len(routes)
        for method, template in routes:
            path = re.sub(r"\{[a-z_]+\}", "probe", template)
            for label, headers in credentials.items():
                response = await http.request(method, path, headers=headers)
                if response.status_code != 401 or error_code(response) != "unauthorized":
                    failures.append(
                        f"{name}: {method} {template} [{label}] → {response.status_code}"
                    )
    assert failures == []
    assert probed["groups"] >= 10 and probed["importer"] >= 5, probed
