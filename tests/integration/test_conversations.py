"""A contact's conversation, end to end: a broadcast sent by the dispatcher on a `log` channel
reaches the flows service as message events, and `GET /v1/conversations/{id}/messages` shows each
contact what they were told (their own values filled in) with its status; staff see only the
contacts of their groups."""

from __future__ import annotations

import json
from typing import Any

import httpx

from services.accounts.bootstrap import AccountsService
from services.dispatcher.domain.channels import signature
from tests.conftest import TokenFactory
from tests.integration.test_broadcast_sending import SIGNING_KEY, make_audience
from tests.support.accounts import staff_members
from tests.support.eventually import eventually


async def test_a_broadcast_shows_in_each_recipients_conversation(
    client: httpx.AsyncClient,
    groups_client: httpx.AsyncClient,
    accounts_service: AccountsService,
    dispatcher_client: httpx.AsyncClient,
    flows_client: httpx.AsyncClient,
    auth: TokenFactory,
    org: str,
) -> None:
    headers = auth(org)
    group_id, ids = await make_audience(client, groups_client, headers, 3)
    channel = await dispatcher_client.post(
        "/v1/channels", json={"type": "log", "name": "Dev"}, headers=headers
    )
    assert channel.status_code == 201, channel.text
    body = {"groups": [group_id], "channel_id": channel.json()["id"],
            "text": "Hello @contact.first_name, term starts Monday"}  # fmt: skip

    async def preview() -> dict[str, Any]:
        answer = await dispatcher_client.post("/v1/broadcasts/preview", json=body, headers=headers)
        return dict(answer.json())

    await eventually(preview, lambda p: p.get("will_receive") == 3)
    started = await dispatcher_client.post("/v1/broadcasts", json=body, headers=headers)
    assert started.status_code == 202, started.text
    broadcast_id = started.json()["id"]

    async def conversation(contact_id: str, as_: dict[str, str] = headers) -> httpx.Response:
        return await flows_client.get(f"/v1/conversations/{contact_id}/messages", headers=as_)

    for i, contact_id in enumerate(ids):
        answer = await eventually(
            lambda c=contact_id: conversation(c),
            lambda r: (
                r.status_code == 200 and [m["status"] for m in r.json()["items"]] == ["delivered"]
            ),
            timeout_s=60,
        )
        [message] = answer.json()["items"]
        assert message["text"] == f"Hello P{i}, term starts Monday"
        assert (message["direction"], message["broadcast_id"]) == ("out", broadcast_id)
        assert message["channel_id"] == channel.json()["id"]

    # Staff: only the contacts of the groups assigned to them
    sam = (await staff_members(accounts_service, org, "sam"))["sam"]
    staff = auth(org, "staff", sam)
    assert (await conversation(ids[0], staff)).status_code == 404
    assigned = await groups_client.patch(
        f"/v1/groups/{group_id}", json={"staff": [sam]}, headers=headers
    )
    assert assigned.status_code == 200, assigned.text
    seen = await eventually(lambda: conversation(ids[0], staff), lambda r: r.status_code == 200)
    assert len(seen.json()["items"]) == 1
    # Another organisation sees nothing of it
    assert (await conversation(ids[0], auth("org-elsewhere"))).status_code == 404
    unknown = await conversation("no-such-contact")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"


async def test_a_new_number_writing_in_becomes_a_contact_with_its_message(
    client: httpx.AsyncClient,
    dispatcher_client: httpx.AsyncClient,
    flows_client: httpx.AsyncClient,
    auth: TokenFactory,
    org: str,
) -> None:
    """Through an http gateway's signed inbound call: the contacts service creates the sender
    (seen now, consent unknown), the flows service shows what they wrote; a repeat delivery
    and a bad signature change nothing."""
    headers = auth(org)
    channel = await dispatcher_client.post(
        "/v1/channels",
        json={"type": "http", "name": "Gateway", "config": {"url": "http://127.0.0.1:9/send"},
              "secrets": {"signing_key": SIGNING_KEY}},
        headers=headers,
    )  # fmt: skip
    assert channel.status_code == 201, channel.text
    url = f"/v1/channels/{channel.json()['id']}/inbound"
    body = json.dumps({"from": "+254 711 000 111", "text": "JOIN",
                       "provider_message_id": "gw-1"}).encode()  # fmt: skip
    signed = {"X-Roster-Signature": signature(body, SIGNING_KEY)}
    forged = await dispatcher_client.post(url, content=body, headers={"X-Roster-Signature": "x"})
    assert forged.status_code == 401
    first = await dispatcher_client.post(url, content=body, headers=signed)
    again = await dispatcher_client.post(url, content=body, headers=signed)
    assert first.status_code == again.status_code == 202, first.text
    assert (first.json(), again.json()) == ({"accepted": 1, "repeated": 0},
                                            {"accepted": 0, "repeated": 1})  # fmt: skip
    bad = json.dumps({"from": "hello", "text": "JOIN", "provider_message_id": "gw-2"}).encode()
    refused = await dispatcher_client.post(
        url, content=bad, headers={"X-Roster-Signature": signature(bad, SIGNING_KEY)}
    )
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "invalid_inbound"

    async def found() -> list[dict[str, Any]]:
        listed = await client.get("/v1/contacts", headers=headers)  # a new organisation
        return list(listed.json().get("items", []))

    [contact] = await eventually(found, lambda items: len(items) == 1, timeout_s=30)
    assert contact["phone"] == "+254711000111" and contact["last_seen_at"] is not None
    assert contact["name"] is None and contact["status"] == "active"

    async def conversation() -> httpx.Response:
        return await flows_client.get(
            f"/v1/conversations/{contact['id']}/messages", headers=headers
        )

    answer = await eventually(
        conversation, lambda r: r.status_code == 200 and len(r.json()["items"]) == 1
    )
    [message] = answer.json()["items"]
    assert (message["direction"], message["text"], message["status"]) == ("in", "JOIN", "received")
