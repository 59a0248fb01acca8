"""The OpenAPI documents are what client generators and the `/docs` page need: valid OpenAPI, a
bearer scheme on every business route, stable `<service>-<verb>-<noun>` operation ids unique
across services, a typed answer for every route, and the real error body for every error."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest
from openapi_spec_validator import validate

from services.contacts.bootstrap import build_app as contacts_app
from services.dispatcher.bootstrap import build_app as dispatcher_app
from services.flows.bootstrap import build_app as flows_app
from services.groups.bootstrap import build_app as groups_app
from services.importer.bootstrap import build_app as importer_app
from shared.settings import ServiceSettings

SERVICES = {
    "contacts": contacts_app,
    "groups": groups_app,
    "importer": importer_app,
    "dispatcher": dispatcher_app,
    "flows": flows_app,
}
ERRORS = ("401", "403", "404", "409", "422")
# Called by messaging providers, which hold no token of an organisation: they prove themselves
# with the HMAC of the body under the channel's signing key (401 `bad_signature` otherwise).
SIGNED_BY_PROVIDERS = {
    ("post", "/v1/channels/{channel_id}/status"),
    ("get", "/v1/channels/{channel_id}/webhook"),
    ("post", "/v1/channels/{channel_id}/webhook"),
    ("post", "/v1/channels/{channel_id}/inbound"),
}
OPERATION_ID = re.compile(r"^(contacts|groups|importer|dispatcher|flows)-[a-z]+(-[a-z]+)+$")
FILES = ("text/csv; charset=utf-8", "application/vnd.openxmlformats-officedocument")


@cache
def spec(service: str) -> dict[str, Any]:
    document: dict[str, Any] = SERVICES[service](ServiceSettings()).openapi()
    return document


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_the_document_is_valid_openapi(service: str) -> None:
    validate(spec(service))


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_every_route_needs_the_bearer_token(service: str) -> None:
    document = spec(service)
    assert document["components"]["securitySchemes"]["HTTPBearer"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "A token from `roster token` (development) or the accounts service.",
    }
    for path, method, operation in operations(document):
        if (method, path) in SIGNED_BY_PROVIDERS:
            assert operation.get("security") == [] and "signed" in operation["description"]
            continue
        assert operation.get("security") == [{"HTTPBearer": []}], f"{method} {path}"


def test_operation_ids_name_service_verb_and_noun_and_are_unique_across_services() -> None:
    seen: dict[str, str] = {}
    for service in SERVICES:
        for path, method, operation in operations(spec(service)):
            operation_id = operation["operationId"]
            assert OPERATION_ID.match(operation_id), operation_id
            assert operation_id.startswith(f"{service}-"), operation_id
            assert operation_id not in seen, f"{operation_id}: {seen.get(operation_id)}"
            seen[operation_id] = f"{method} {path}"
    assert "contacts-create-contact" in seen and "groups-add-members" in seen


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_every_answer_is_typed_and_every_error_has_the_real_body(service: str) -> None:
    document = spec(service)
    for path, method, operation in operations(document):
        responses = operation["responses"]
        success = [s for s in responses if s.startswith("2")]
        if operation.get("deprecated") and "308" in responses:
            # A moved path: answered with a redirect only, for one version.
            assert "Location" in responses["308"]["headers"], f"{method} {path}"
            continue
        assert success, f"{method} {path}"
        for status in success:
            content = responses[status].get("content", {})
            if status == "204":
                continue
            typed = content.get("application/json", {}).get("schema", {})
            files = [media for media in content if media.startswith(FILES)]
            text = content.get("text/plain", {}).get("schema", {}).get("type") == "string"
            assert typed.get("$ref") or typed.get("type") == "array" or files or text, (
                f"{method} {path} {status} answers an untyped body: {content}"
            )
        for status in ERRORS:
            schema = responses[status]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorResponse"}, f"{method} {path}"
    assert "HTTPValidationError" not in document["components"]["schemas"]
