"""The dispatcher's audience, end to end: contacts and groups made through their own services'
APIs reach the dispatcher's projection over Kafka, and its preview counts every contact named
once, by reason, on the real store."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import TokenFactory
from tests.support.contacts_api import create, phones
from tests.support.eventually import eventually
from tests.support.groups_api import add_members, create_group, known_to_groups

WHATSAPP = {
    "type": "whatsapp_cloud",
    "name": "Kenya line",
    "config": {"phone_number_id": "1055"},
    "secrets": {"access_token": "t", "app_secret": "a", "verify_token": "v"},
}


async def test_the_preview_follows_contacts_and_groups_made_in_their_services(
    client: httpx.AsyncClient,
    groups_client: httpx.AsyncClient,
    dispatcher_client: httpx.AsyncClient,
    auth: TokenFactory,
    org: str,
) -> None:
    headers = auth(org)
    numbers = phones(5)
    opted = [await create(client, headers, phone=p, name=f"P{i}", opt_in=True)
             for i, p in enumerate(numbers[:4])]  # fmt: skip
    unconsented = await create(client, headers, phone=numbers[4], name="No consent")
    everyone = [c["id"] for c in [*opted, unconsented]]
    audience = await create_group(groups_client, headers, "Parents")
    banned = await create_group(groups_client, headers, "Do not text", blacklisted=True)
    await known_to_groups(groups_client, headers, everyone)
    assert (await add_members(groups_client, headers, audience["id"], everyone))["added"] == 5
    assert (await add_members(groups_client, headers, banned["id"], [opted[1]["id"]]))["added"]
    blocked = await client.post(
        f"/v1/contacts/{opted[2]['id']}/status", json={"status": "blocked"}, headers=headers
    )
    assert blocked.status_code == 200, blocked.text
    made = await dispatcher_client.post("/v1/channels", json=WHATSAPP | {"tps": 2}, headers=headers)
    assert made.status_code == 201, made.text
    # Free text on WhatsApp needs a message in the last 24 hours: a log channel has no window.
    log = await dispatcher_client.post(
        "/v1/channels", json={"type": "log", "name": "Dev"}, headers=headers
    )

    async def preview(channel_id: str) -> dict[str, Any]:
        # The blocked contact left every group (as in RapidPro); named by id, it is counted.
        body = {"groups": [audience["id"]], "contact_ids": [everyone[0], everyone[2], "nobody"],
                "channel_id": channel_id}  # fmt: skip
        response = await dispatcher_client.post(
            "/v1/broadcasts/preview", json=body, headers=headers
        )
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    result = await eventually(
        lambda: preview(log.json()["id"]),
        lambda r: r["audience"] == 5 and r["excluded"]["blocked"] == 1,
    )
    assert (result["will_receive"], result["not_found"]) == (3, 1)
    assert result["excluded"]["blacklisted"] == 1
    assert result["audience"] == result["will_receive"] + sum(result["excluded"].values())

    on_whatsapp = await preview(made.json()["id"])
    excluded = {k: v for k, v in on_whatsapp["excluded"].items() if v}
    # Blocked first, then blacklisted, then no consent; the two left were never seen.
    assert excluded == {"blocked": 1, "blacklisted": 1, "not_opted_in": 1, "outside_window": 2}
    assert on_whatsapp["will_receive"] == 0 and on_whatsapp["eta_seconds"] == 0

    staff = await dispatcher_client.post(
        "/v1/broadcasts/preview",
        json={"groups": [audience["id"]], "channel_id": log.json()["id"]},
        headers=auth(org, "staff", "sam"),
    )
    assert staff.status_code == 403 and staff.json()["error"]["code"] == "not_your_group"
    unknown = await dispatcher_client.post(
        "/v1/broadcasts/preview",
        json={"groups": ["no-such-group"], "channel_id": log.json()["id"]},
        headers=headers,
    )
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "unknown_groups"
