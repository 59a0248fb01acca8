"""Throttling (issue 16, acceptance 3): the provider answers 429 to a fifth of the requests for
ten seconds. The channel slows down (its rate halved at each refusal, recovering after), every
refused message is retried until the provider takes it, each message is taken once, and the
counters add up."""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

import httpx
from prometheus_client import REGISTRY

from services.dispatcher.bootstrap import DispatcherService
from tests.conftest import TokenFactory
from tests.support.contacts_api import phones
from tests.support.dispatcher_audience import seed_audience
from tests.support.eventually import eventually
from tests.support.fake_provider import running_provider

RECIPIENTS = 800
TPS = 100
THROTTLED_S = 10.0  # issue 16, acceptance 3: 20% refused for ten seconds
SIGNING_KEY = "throttle-signing-key-0123456789"


def slowdowns() -> float:
    return REGISTRY.get_sample_value("roster_dispatcher_slowdowns_total", {"type": "http"}) or 0.0


async def test_a_throttled_channel_slows_down_and_still_sends_each_message_once(
    dispatcher_service: DispatcherService,
    dispatcher_client: httpx.AsyncClient,
    auth: TokenFactory,
    org: str,
) -> None:
    headers, settings = auth(org), dispatcher_service.settings
    group_id = str(uuid.uuid4())
    ids = await seed_audience(settings.mongodb_url, settings.database_name("dispatcher"), org,
                              group_id, phones(RECIPIENTS))  # fmt: skip
    before = slowdowns()
    async with running_provider(SIGNING_KEY) as provider:
        channel = await dispatcher_client.post(
            "/v1/channels",
            json={"type": "http", "name": "Throttled", "tps": TPS,
                  "config": {"url": provider.url}, "secrets": {"signing_key": SIGNING_KEY}},
            headers=headers,
        )  # fmt: skip
        assert channel.status_code == 201, channel.text
        body = {"groups": [group_id], "channel_id": channel.json()["id"], "text": "Hello"}
        started = await dispatcher_client.post("/v1/broadcasts", json=body, headers=headers)
        assert started.status_code == 202, started.text
        url = f"/v1/broadcasts/{started.json()['id']}"

        async def current() -> dict[str, Any]:
            return dict((await dispatcher_client.get(url, headers=headers)).json())

        # The throttling starts with the first message and lasts THROTTLED_S seconds.
        await eventually(lambda: _first_request(provider), lambda first: first is not None)
        provider.misbehave(429, share=0.2, seconds=THROTTLED_S)
        start = provider.misbehaviours[-1].start
        done = await eventually(current, lambda b: b["state"] == "completed", timeout_s=180)

    refused = [r for r in provider.requests if r.answered == 429]
    in_window = [r for r in provider.requests if start <= r.at < start + THROTTLED_S]
    assert refused and all(start <= r.at < start + THROTTLED_S for r in refused)
    # Slowed: at full rate the window would hold TPS * THROTTLED_S requests; it holds under half.
    assert slowdowns() - before >= 1
    assert len(in_window) < TPS * THROTTLED_S / 2
    taken = Counter(r.message_id for r in provider.accepted)
    assert len(taken) == RECIPIENTS and set(taken.values()) == {1}
    assert {r.contact_id for r in provider.accepted} == set(ids)
    assert all(r.signed for r in provider.requests)
    counts = done["counts"]
    assert counts["sent"] == RECIPIENTS
    assert done["will_receive"] == sum(counts.values()) == RECIPIENTS


async def _first_request(provider: Any) -> float | None:
    return provider.requests[0].at if provider.requests else None
