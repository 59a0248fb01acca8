"""Small helpers for talking to the groups API in tests."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.eventually import eventually


async def create_group(
    client: httpx.AsyncClient, headers: dict[str, str], name: str, **body: Any
) -> dict[str, Any]:
    response = await client.post("/v1/groups", json={"name": name, **body}, headers=headers)
    assert response.status_code == 201, response.text
    group: dict[str, Any] = response.json()
    return group


async def add_members(
    client: httpx.AsyncClient, headers: dict[str, str], group_id: str, ids: list[str]
) -> dict[str, Any]:
    response = await client.post(
        f"/v1/groups/{group_id}/members", json={"contact_ids": ids}, headers=headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def member_ids(client: httpx.AsyncClient, headers: dict[str, str], group_id: str) -> set[str]:
    """Every member, following the cursor."""
    found: set[str] = set()
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 500}
        if cursor:
            params["cursor"] = cursor
        response = await client.get(
            f"/v1/groups/{group_id}/members", params=params, headers=headers
        )
        assert response.status_code == 200, response.text
        body = response.json()
        found |= {item["id"] for item in body["items"]}
        cursor = body["next_cursor"]
        if not cursor:
            return found


async def known_to_groups(
    client: httpx.AsyncClient, headers: dict[str, str], contact_ids: list[str]
) -> None:
    """Waits until the groups service projected these contacts (it learns them from events)."""

    async def known() -> list[int]:
        return [
            (await client.get(f"/v1/memberships/{i}", headers=headers)).status_code
            for i in contact_ids
        ]

    await eventually(known, lambda codes: all(code == 200 for code in codes))


async def change_by_query(
    client: httpx.AsyncClient, headers: dict[str, str], group_id: str, query: str, *, add: bool
) -> dict[str, Any]:
    """Starts a change of members by query (202) and follows it until it finished."""
    response = await client.request(
        "POST" if add else "DELETE",
        f"/v1/groups/{group_id}/members",
        json={"query": query},
        headers=headers,
    )
    assert response.status_code == 202, response.text
    started = response.json()
    assert started["action"] == ("add" if add else "remove")
    location = response.headers["location"]
    assert location == f"/v1/groups/{group_id}/member-changes/{started['id']}"
    return await finished_change(client, headers, group_id, started["id"])


async def finished_change(
    client: httpx.AsyncClient, headers: dict[str, str], group_id: str, change_id: str
) -> dict[str, Any]:
    """The change of members once it is no longer running."""

    async def change() -> dict[str, Any]:
        found = await client.get(
            f"/v1/groups/{group_id}/member-changes/{change_id}", headers=headers
        )
        assert found.status_code == 200, found.text
        body: dict[str, Any] = found.json()
        return body

    return await eventually(change, lambda c: c["status"] != "running")
