"""Small helpers for talking to the contacts API in tests."""

from __future__ import annotations

import random
from typing import Any

import httpx


async def create(client: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    """Creates a contact and insists on 201, so a broken setup never hides behind later asserts."""
    response = await client.post("/v1/contacts", json=body, headers=headers)
    assert response.status_code == 201, response.text
    contact: dict[str, Any] = response.json()
    return contact


async def define_field(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    label: str,
    type: str = "text",
    **extra: Any,
) -> dict[str, Any]:
    """Defines a custom field and insists on 201."""
    response = await client.post(
        "/v1/fields", json={"label": label, "type": type, **extra}, headers=headers
    )
    assert response.status_code == 201, response.text
    field: dict[str, Any] = response.json()
    return field


def phones(count: int) -> list[str]:
    """Random, distinct, valid Kenyan mobile numbers in E.164."""
    found: set[str] = set()
    while len(found) < count:
        found.add("+2547" + "".join(random.choices("0123456789", k=8)))
    return sorted(found)
