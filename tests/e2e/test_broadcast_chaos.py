"""Chaos: the dispatcher is killed (SIGKILL) again and again while a broadcast sends over
`http`; after each restart it goes on, and in the end every recipient's message reached the
provider, each once apart from the windows on their way at a kill, which were handed over again
with the same Idempotency-Key (the provider drops such repeats), and the counters add up.

Size from ROSTER_BROADCAST_CHAOS_RECIPIENTS (default 1,500 so the suite stays short; the
issue's 20,000 is run the same way with the variable set)."""

from __future__ import annotations

import operator
import os
import random
import signal
import uuid
from collections import Counter
from functools import partial
from typing import Any

import httpx

from services.dispatcher.entrypoints.background import ANSWERING
from services.dispatcher.service_layer.unit_of_work import DispatcherUnitOfWork
from shared.settings import ServiceSettings
from tests.conftest import TokenFactory
from tests.support.dispatcher_audience import seed_audience
from tests.support.eventually import eventually
from tests.support.fake_provider import running_provider
from tests.support.process import ServiceProcess

RECIPIENTS = int(os.environ.get("ROSTER_BROADCAST_CHAOS_RECIPIENTS", "1500"))
KILLS = 4
SIGNING_KEY = "chaos-signing-key-0123456789"
TPS = 100
# What one step hands over: two seconds' worth, at most `send_window` (`sending.window_size`);
# the sender has up to ANSWERING such windows on their way (starting, or storing answers).
IN_FLIGHT = ANSWERING * min(DispatcherUnitOfWork.send_window, 2 * TPS)


async def test_a_broadcast_survives_killed_dispatchers_handing_each_message_over_once(
    dispatcher_process: ServiceProcess,
    e2e_env: dict[str, str],
    settings: ServiceSettings,
    auth: TokenFactory,
    org: str,
) -> None:
    group_id = str(uuid.uuid4())
    phones = [f"+2547{n:08d}" for n in range(RECIPIENTS)]
    db_name = e2e_env["ROSTER_MONGODB_DB_PREFIX"] + "dispatcher"
    ids = await seed_audience(settings.mongodb_url, db_name, org, group_id, phones)
    dispatcher_process.start()
    rng = random.Random(20261201)
    async with (
        running_provider(SIGNING_KEY) as provider,
        httpx.AsyncClient(base_url=dispatcher_process.url, headers=auth(org), timeout=60) as http,
    ):
        channel = await http.post(
            "/v1/channels",
            json={"type": "http", "name": "Chaos", "tps": TPS, "config": {"url": provider.url},
                  "secrets": {"signing_key": SIGNING_KEY}},
        )  # fmt: skip
        assert channel.status_code == 201, channel.text
        started = await http.post(
            "/v1/broadcasts",
            json={"groups": [group_id], "channel_id": channel.json()["id"], "text": "Chaos"},
        )
        assert started.status_code == 202, started.text
        url = f"/v1/broadcasts/{started.json()['id']}"
        kills = 0
        for _ in range(KILLS):
            # Somewhere in the middle of sending, past the window the restarted dispatcher hands
            # over again first (so that each kill leaves a window of its own in flight).
            target = (
                len(provider.requests) + IN_FLIGHT + rng.randint(RECIPIENTS // 20, RECIPIENTS // 8)
            )
            if target >= RECIPIENTS:
                break  # too close to the end for another kill in the middle
            await eventually(lambda: _count(provider), partial(operator.le, target), 120)
            assert dispatcher_process.proc is not None
            dispatcher_process.proc.send_signal(signal.SIGKILL)
            assert dispatcher_process.wait_exit() == -signal.SIGKILL
            kills += 1
            dispatcher_process.start()
        done = await eventually(
            lambda: _get(http, url), lambda b: b["state"] == "completed", timeout_s=600
        )

    assert kills >= 2 and done["counts"]["sent"] == done["audience"] == RECIPIENTS, done["counts"]
    accepted = Counter(r.message_id for r in provider.accepted)
    assert sorted(m.split(".")[-1] for m in accepted) == sorted(ids)  # everyone, by message id
    repeated = {m: n for m, n in accepted.items() if n > 1}
    print(f"\nchaos: {RECIPIENTS:,} recipients, {kills} kills, {len(repeated)} messages handed "
          f"over again under their key (bound {kills * IN_FLIGHT}), at most "
          f"{max(repeated.values(), default=1)} times each")  # fmt: skip
    # Only what was in flight at a kill came again, always under the same key (which the
    # provider drops): at most the windows on their way at each kill, each message at most
    # once more per kill (a kill can land while a window left by the last one goes again).
    assert len(repeated) <= kills * IN_FLIGHT
    assert all(n <= kills + 1 for n in repeated.values())
    assert all(r.idempotency_key == r.message_id and r.signed for r in provider.requests)


async def _count(provider: Any) -> int:
    return len(provider.requests)


async def _get(http: httpx.AsyncClient, url: str) -> dict[str, Any]:
    response = await http.get(url)
    assert response.status_code == 200, response.text
    return dict(response.json())
