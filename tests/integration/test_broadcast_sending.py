"""Broadcasts sent for real: the dispatcher's background work resolves them and its channel
sender hands each message over HTTP to a provider played by a real server on loopback, signed
and with its Idempotency-Key, each recipient once, the counters adding up."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from services.dispatcher.bootstrap import DispatcherService
from services.dispatcher.domain.channels import signature
from shared.contracts.topics import MESSAGES
from shared.settings import ServiceSettings
from tests.conftest import TokenFactory
from tests.support.contacts_api import create, phones
from tests.support.dispatcher_audience import seed_audience
from tests.support.eventually import eventually
from tests.support.fake_provider import running_provider
from tests.support.groups_api import add_members, create_group, known_to_groups
from tests.support.kafka import TopicTail

SIGNING_KEY = "provider-signing-key-0123456789"


async def make_audience(
    client: httpx.AsyncClient,
    groups_client: httpx.AsyncClient,
    headers: dict[str, str],
    count: int,
) -> tuple[str, list[str]]:
    contacts = [await create(client, headers, phone=p, name=f"P{i}")
                for i, p in enumerate(phones(count))]  # fmt: skip
    ids = [c["id"] for c in contacts]
    group = await create_group(groups_client, headers, "Parents")
    await known_to_groups(groups_client, headers, ids)
    assert (await add_members(groups_client, headers, group["id"], ids))["added"] == count
    return group["id"], ids


async def test_an_http_broadcast_reaches_each_recipient_once_signed_and_counted(
    client: httpx.AsyncClient,
    groups_client: httpx.AsyncClient,
    dispatcher_client: httpx.AsyncClient,
    settings: ServiceSettings,
    auth: TokenFactory,
    org: str,
) -> None:
    headers = auth(org)
    group_id, ids = await make_audience(client, groups_client, headers, 12)
    topic = settings.kafka_topic_prefix + MESSAGES.name
    async with (
        running_provider(SIGNING_KEY) as provider,
        TopicTail(settings.kafka_bootstrap, topic) as tail,
    ):
        provider.misbehave(429, share=0.3, seconds=0.5)  # throttled for a moment: retried
        channel = await dispatcher_client.post(
            "/v1/channels",
            json={"type": "http", "name": "Gateway", "tps": 50, "config": {"url": provider.url},
                  "secrets": {"signing_key": SIGNING_KEY}},
            headers=headers,
        )  # fmt: skip
        assert channel.status_code == 201, channel.text
        body = {"groups": [group_id], "channel_id": channel.json()["id"], "text": "Term starts"}

        async def reached_everyone() -> dict[str, Any]:
            preview = await dispatcher_client.post(
                "/v1/broadcasts/preview", json=body, headers=headers
            )
            return dict(preview.json())

        await eventually(reached_everyone, lambda p: p.get("will_receive") == 12)
        started = await dispatcher_client.post(
            "/v1/broadcasts", json=body, headers=headers | {"Idempotency-Key": "term-1"}
        )
        assert started.status_code == 202, started.text
        again = await dispatcher_client.post(
            "/v1/broadcasts", json=body, headers=headers | {"Idempotency-Key": "term-1"}
        )
        assert again.json()["id"] == started.json()["id"]
        url = f"/v1/broadcasts/{started.json()['id']}"

        async def state() -> dict[str, Any]:
            return dict((await dispatcher_client.get(url, headers=headers)).json())

        done = await eventually(state, lambda b: b["state"] == "completed", timeout_s=60)

        def of_this(kind: str) -> Callable[[dict[str, Any]], bool]:
            return lambda e: (
                e["type"].endswith(kind) and e["data"].get("broadcast_id") == done["id"]
            )

        sent_events = await tail.wait_for(of_this("MessageSent"), count=12)
        [started_event] = await tail.wait_for(of_this("BroadcastStarted"))
        await tail.wait_for(of_this("BroadcastCompleted"))

    assert done["counts"]["sent"] == done["will_receive"] == 12, (
        done["counts"],
        done["will_receive"],
        done["audience"],
    )
    assert sum(done["counts"].values()) == done["audience"] == 12
    accepted = provider.accepted
    assert sorted(r.contact_id for r in accepted) == sorted(ids)
    assert len({r.message_id for r in accepted}) == 12
    assert all(r.signed and r.idempotency_key == r.message_id for r in provider.requests)
    # One MessageSent per message, keyed by its contact; the start carries the audience.
    assert sorted(e["data"]["message_id"] for e in sent_events) == sorted(
        r.message_id for r in accepted
    )
    assert {e["subject"] for e in sent_events} == set(ids)
    assert started_event["data"]["will_receive"] == 12
    listed = await dispatcher_client.get("/v1/broadcasts", headers=headers)
    assert [b["id"] for b in listed.json()["items"]] == [started.json()["id"]]
    report = await dispatcher_client.get(f"{url}/recipients", headers=headers)
    assert report.status_code == 200
    lines = report.text.strip().splitlines()
    assert lines[0] == "contact_id,phone,status,reason,updated_at" and len(lines) == 13
    assert all(",sent," in line for line in lines[1:])

    # The provider reports back, signed: late, repeated and out of order.
    status_url = f"/v1/channels/{channel.json()['id']}/status"
    first, second = accepted[0].message_id, accepted[1].message_id
    for message_id, status in ((first, "read"), (first, "delivered"), (first, "read"),
                               (second, "delivered"), (second, "sent")):  # fmt: skip
        body = json.dumps({"message_id": message_id, "status": status}).encode()
        answer = await dispatcher_client.post(
            status_url, content=body, headers={"X-Roster-Signature": signature(body, SIGNING_KEY)}
        )
        assert answer.status_code == 202, answer.text
    forged = await dispatcher_client.post(
        status_url, content=body, headers={"X-Roster-Signature": "sha256=00"}
    )
    assert forged.status_code == 401 and forged.json()["error"]["code"] == "bad_signature"
    settled = await eventually(state, lambda b: b["counts"]["delivered"] == 1)
    assert (settled["counts"]["read"], settled["counts"]["sent"]) == (1, 10)
    assert sum(settled["counts"].values()) == 12


async def test_a_paused_broadcast_waits_and_a_cancelled_one_sends_no_more(
    client: httpx.AsyncClient,
    groups_client: httpx.AsyncClient,
    dispatcher_client: httpx.AsyncClient,
    auth: TokenFactory,
    org: str,
) -> None:
    headers = auth(org)
    group_id, _ = await make_audience(client, groups_client, headers, 20)
    async with running_provider(SIGNING_KEY) as provider:
        channel = await dispatcher_client.post(
            "/v1/channels",
            json={"type": "http", "name": "Slow", "tps": 2, "config": {"url": provider.url},
                  "secrets": {"signing_key": SIGNING_KEY}},
            headers=headers,
        )  # fmt: skip
        body = {"groups": [group_id], "channel_id": channel.json()["id"], "text": "Hi"}
        await eventually(
            lambda: dispatcher_client.post("/v1/broadcasts/preview", json=body, headers=headers),
            lambda r: r.json().get("will_receive") == 20,
        )
        started = await dispatcher_client.post("/v1/broadcasts", json=body, headers=headers)
        url = f"/v1/broadcasts/{started.json()['id']}"
        await eventually(lambda: _get(dispatcher_client, url, headers),
                         lambda b: b["counts"]["sent"] >= 1, timeout_s=30)  # fmt: skip
        cancelled = await dispatcher_client.post(f"{url}/cancel", headers=headers)
        assert cancelled.status_code == 200, cancelled.text
        assert cancelled.json()["state"] == "cancelled"
        handed = len(provider.requests)
        settled = await eventually(
            lambda: _get(dispatcher_client, url, headers),
            lambda b: b["counts"]["sending"] == 0,
        )
        assert settled["counts"]["queued"] > 0  # the rest never went
        # What was on its way stops within about a second (two messages at 2/s; a loaded
        # machine's delays allowed for), not after the windows taken (four each).
        assert len(provider.requests) <= handed + 6
        again = await dispatcher_client.post(f"{url}/resume", headers=headers)
        assert again.status_code == 409 and again.json()["error"]["code"] == "broadcast_state"


async def _get(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> dict[str, Any]:
    response = await client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_a_whatsapp_broadcast_goes_to_those_in_the_window_and_follows_meta_s_webhooks(
    dispatcher_client: httpx.AsyncClient,
    dispatcher_service: DispatcherService,
    auth: TokenFactory,
    org: str,
) -> None:
    headers = auth(org)
    group_id, settings = str(uuid.uuid4()), dispatcher_service.settings
    db_name = settings.database_name("dispatcher")
    # Three wrote to the organisation an hour ago (free text may reach them), one never did.
    recent = datetime.now(UTC) - timedelta(hours=1)
    seen = await seed_audience(settings.mongodb_url, db_name, org, group_id,
                               phones(3), last_seen_at=recent)  # fmt: skip
    await seed_audience(settings.mongodb_url, db_name, org, group_id, phones(1))
    async with running_provider(SIGNING_KEY) as provider:
        provider.refuse_next(2, 400, code=130429)  # Meta throttles the first two
        channel = await dispatcher_client.post(
            "/v1/channels",
            json={"type": "whatsapp_cloud", "name": "Kenya", "tps": 20,
                  "config": {"phone_number_id": "1055", "base_url": provider.base_url},
                  "secrets": {"access_token": provider.access_token,
                              "app_secret": provider.app_secret, "verify_token": "v-token"}},
            headers=headers,
        )  # fmt: skip
        assert channel.status_code == 201, channel.text
        webhook = f"/v1/channels/{channel.json()['id']}/webhook"
        handshake = await dispatcher_client.get(
            webhook,
            params={"hub.mode": "subscribe", "hub.verify_token": "v-token", "hub.challenge": "42"},
        )
        assert (handshake.status_code, handshake.text) == (200, "42")
        wrong = await dispatcher_client.get(
            webhook, params={"hub.mode": "subscribe", "hub.verify_token": "x", "hub.challenge": "1"}
        )
        assert wrong.status_code == 403
        body = {"groups": [group_id], "channel_id": channel.json()["id"], "text": "Hi"}
        started = await dispatcher_client.post("/v1/broadcasts", json=body, headers=headers)
        assert started.status_code == 202, started.text
        url = f"/v1/broadcasts/{started.json()['id']}"
        done = await eventually(
            lambda: _get(dispatcher_client, url, headers),
            lambda b: b["state"] == "completed",
            timeout_s=60,
        )
        assert (done["counts"]["sent"], done["excluded"]["outside_window"]) == (3, 1)
        assert any(r.answered == 400 for r in provider.requests)  # throttled, then retried
        wamids = sorted(provider.wamids)
        assert len(wamids) == 3 and {provider.wamids[w] for w in wamids} == {
            p.removeprefix("+") for p in await _phones(dispatcher_service, org, seen)
        }
        note, signed = provider.notification(
            [(wamids[0], "read"), (wamids[0], "delivered"), (wamids[1], "failed")]
        )
        accepted = await dispatcher_client.post(webhook, content=note, headers=signed)
        assert accepted.status_code == 202 and accepted.json()["accepted"] == 3
        forged = await dispatcher_client.post(
            webhook, content=note, headers={"X-Hub-Signature-256": "sha256=00"}
        )
        assert forged.status_code == 401
        settled = await eventually(
            lambda: _get(dispatcher_client, url, headers),
            lambda b: b["counts"]["read"] == 1 and b["counts"]["failed"] == 1,
        )
        assert settled["counts"]["sent"] == 1 and sum(settled["counts"].values()) == 4


async def _phones(service: DispatcherService, org: str, ids: list[str]) -> list[str]:
    contacts = await service.uow.audience.get_contacts(org, ids)
    return [c.phone or "" for c in contacts.values()]
