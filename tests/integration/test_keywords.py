"""STOP and JOIN end to end, through the public APIs and a provider played by a real HTTP
server: a member of three groups texts "Stop." to an http gateway and becomes `stopped` by
keyword, leaves every group, gets the one confirmation, and a broadcast started a moment later
(naming them) skips them; "hello" changes nothing; "JOIN" makes them active and opted in, in
the configured group only, with the welcome. A new number texting JOIN becomes a contact,
opted in, in that group."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.conftest import TokenFactory
from tests.support.contacts_api import create, phones
from tests.support.eventually import eventually
from tests.support.fake_provider import FakeProvider, running_provider
from tests.support.gateway import SIGNING_KEY, Gateway, http_channel, received_by, texts_to
from tests.support.groups_api import add_members, create_group, known_to_groups, member_ids

CONFIRMATION = "You will get no more messages from us. Text JOIN to come back."
WELCOME = "Welcome back!"


async def setup(
    dispatcher_client: httpx.AsyncClient,
    groups_client: httpx.AsyncClient,
    flows_client: httpx.AsyncClient,
    headers: dict[str, str],
    provider: FakeProvider,
) -> tuple[Gateway, str]:
    """The gateway channel, and the keywords' replies and opt-in group ("Programme")."""
    channel_id = await http_channel(dispatcher_client, headers, provider)
    programme = await create_group(groups_client, headers, "Programme")
    current = (await flows_client.get("/v1/keywords", headers=headers)).json()
    body = {**current, "opt_out_reply": CONFIRMATION, "opt_in_reply": WELCOME,
            "opt_in_group_id": programme["id"]}  # fmt: skip
    saved = await flows_client.put("/v1/keywords", json=body, headers=headers)
    assert saved.status_code == 200, saved.text
    assert saved.json()["opt_in_group_id"] == programme["id"]
    return Gateway(dispatcher_client, channel_id), programme["id"]


async def test_stop_hello_join_through_the_public_apis(
    client: httpx.AsyncClient,
    groups_client: httpx.AsyncClient,
    dispatcher_client: httpx.AsyncClient,
    flows_client: httpx.AsyncClient,
    auth: TokenFactory,
    org: str,
) -> None:
    headers = auth(org)
    amy_phone, other_phone = phones(2)
    amy = await create(client, headers, phone=amy_phone, name="Amy")
    other = await create(client, headers, phone=other_phone, name="Ben")
    groups = [await create_group(groups_client, headers, name) for name in ("A", "B", "C")]
    await known_to_groups(groups_client, headers, [amy["id"], other["id"]])
    for group in groups:
        await add_members(groups_client, headers, group["id"], [amy["id"], other["id"]])

    async def contact() -> dict[str, Any]:
        return dict((await client.get(f"/v1/contacts/{amy['id']}", headers=headers)).json())

    async with running_provider(SIGNING_KEY) as provider:
        gateway, programme = await setup(dispatcher_client, groups_client, flows_client,
                                         headers, provider)  # fmt: skip
        await eventually(contact, lambda c: len(c["groups"]) == 3)
        await gateway.inbound(amy_phone, "Stop.")

        stopped = await eventually(contact, lambda c: c["status"] == "stopped", timeout_s=30)
        assert stopped["opt_in"]["status"] == "opted_out"
        assert stopped["opt_in"]["opt_out_method"] == "keyword"
        await eventually(contact, lambda c: c["groups"] == [], timeout_s=30)
        for group in groups:  # the groups service's own lists follow a moment later
            await eventually(lambda g=group: member_ids(groups_client, headers, g["id"]),
                             lambda members: amy["id"] not in members)  # fmt: skip
        await eventually(lambda: received_by(provider, amy_phone),
                         lambda texts: texts == [CONFIRMATION], timeout_s=30)  # fmt: skip

        await asyncio.sleep(1)  # a broadcast started a second later, naming Amy
        body = {"groups": [g["id"] for g in groups], "contact_ids": [amy["id"]],
                "channel_id": gateway.channel_id, "text": "Term starts Monday"}  # fmt: skip
        started = await dispatcher_client.post("/v1/broadcasts", json=body, headers=headers)
        assert started.status_code == 202, started.text

        async def broadcast() -> dict[str, Any]:
            url = f"/v1/broadcasts/{started.json()['id']}"
            return dict((await dispatcher_client.get(url, headers=headers)).json())

        done = await eventually(broadcast, lambda b: b["state"] == "completed", timeout_s=60)
        assert done["excluded"].get("stopped") == 1, done
        assert texts_to(provider, other_phone) == ["Term starts Monday"]

        await gateway.inbound(amy_phone, "hello")
        await gateway.inbound(amy_phone, "JOIN")
        joined = await eventually(contact, lambda c: c["status"] == "active", timeout_s=30)
        assert joined["opt_in"]["status"] == "opted_in"
        assert joined["opt_in"]["opt_in_method"] == "keyword"
        await eventually(contact, lambda c: c["groups"] == [programme], timeout_s=30)
        await eventually(lambda: received_by(provider, amy_phone),
                         lambda texts: texts == [CONFIRMATION, WELCOME], timeout_s=30)  # fmt: skip
        for group in groups:  # groups left at opt-out are not restored
            assert amy["id"] not in await member_ids(groups_client, headers, group["id"])

        conversation = await flows_client.get(f"/v1/conversations/{amy['id']}/messages",
                                              headers=headers)  # fmt: skip
        said = [(m["direction"], m["text"]) for m in reversed(conversation.json()["items"])]
        assert ("in", "hello") in said and said.index(("in", "Stop.")) < said.index(
            ("out", CONFIRMATION)) < said.index(("in", "JOIN"))  # fmt: skip


async def test_a_new_number_texting_join_becomes_an_opted_in_member(
    client: httpx.AsyncClient,
    groups_client: httpx.AsyncClient,
    dispatcher_client: httpx.AsyncClient,
    flows_client: httpx.AsyncClient,
    auth: TokenFactory,
    org: str,
) -> None:
    headers = auth(org)
    [phone] = phones(1)
    async with running_provider(SIGNING_KEY) as provider:
        gateway, programme = await setup(dispatcher_client, groups_client, flows_client,
                                         headers, provider)  # fmt: skip
        await gateway.inbound(phone, "join")

        async def contacts() -> list[dict[str, Any]]:
            listed = await client.get("/v1/contacts", headers=headers)
            return list(listed.json().get("items", []))

        [contact] = await eventually(
            contacts, lambda found: len(found) == 1 and found[0]["opt_in"]["status"] == "opted_in",
            timeout_s=30,
        )  # fmt: skip
        assert (contact["phone"], contact["status"]) == (phone, "active")
        assert contact["opt_in"]["opt_in_method"] == "keyword"
        await eventually(lambda: member_ids(groups_client, headers, programme),
                         lambda members: members == {contact["id"]}, timeout_s=30)  # fmt: skip
        await eventually(lambda: received_by(provider, phone),
                         lambda texts: texts == [WELCOME], timeout_s=30)  # fmt: skip
