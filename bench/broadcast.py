"""Broadcasts at scale: resolving an audience, sending at unlimited rate on the `log` channel, a
channel's rate held over HTTP, and status reports applied, beside raw Kafka and raw store rates.

    .venv/bin/python bench/broadcast.py [--recipients 1000000] [--paced 12000] [--tps 200]

The dispatcher runs as its own process on its own topics (a topic prefix). Its audience
projection is seeded straight into its database, as it stores it (contacts with their group,
and the group's membership index), so the run measures broadcasting, not projecting. Prints,
from one run on this machine:
- raw Kafka produce rate (records/s) and raw store insert rate (docs/s) of `--recipients`
  records, the baselines;
- on a `log` channel (no rate limit), one broadcast to `--recipients` contacts: seconds to
  resolve (the recipients fixed), then the send rate until completed, and the CPU each process
  spent per recipient;
- on an `http` channel at `--tps` to a provider played by a real HTTP server in this process,
  two broadcasts to `--paced` contacts started 5 s apart: the rate the provider received in each
  10 s window after the first (both broadcasts together, and each), the CPU per message;
- the provider then reports every message delivered (signed callbacks, 8 at a time): status
  reports applied per second.
What bounds each figure is in the closing note of the session that measured it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.figures import figure, parse_args
from bench.meters import WorkMeter, cpu_labels, metered_processes, work_labels
from bench.profiles import Profiler, add_profile_option
from bench.support import BenchRun, bench_run, phone_numbers, produce, until
from services.dispatcher.domain.channels import signature
from shared.contracts.topics import TopicSpec
from shared.kafka.topics import ensure_topics
from shared.mongo.client import connect_store
from tests.support.dispatcher_audience import seed_audience
from tests.support.fake_provider import running_provider

SERVICES = ("dispatcher",)
SIGNING_KEY = "bench-provider-signing-key-0123456789"
FIGURES = (
    "raw Kafka produce",
    "raw store insert_many",
    "resolve (log)",
    "send (log, unlimited)",
    *cpu_labels("recipient", metered_processes(*SERVICES)),
    "paced: target",
    "paced: windows",
    "paced: both progressed",
    *cpu_labels("paced message", metered_processes(*SERVICES)),
    *work_labels("paced message", SERVICES),
    "status reports applied",
)


async def seed(bench: BenchRun, group_id: str, count: int) -> list[str]:
    db_name = bench.prefix + "dispatcher"
    phones = phone_numbers(count)
    return await seed_audience(bench.endpoints.mongodb_url, db_name, bench.org, group_id, phones)


async def raw_baselines(bench: BenchRun, count: int) -> None:
    kafka = bench.endpoints.kafka_bootstrap
    topic = TopicSpec(bench.topic_prefix + "raw", "contact id", "bench", "raw produce rate")
    await ensure_topics(kafka, [topic], partitions=6, replication_factor=1)
    value = json.dumps({"message_id": "x" * 80, "status": "sent"}).encode()
    produced_s = await produce(kafka, topic.name, [(str(i), value) for i in range(count)])
    figure("raw Kafka produce", f"{count / produced_s:10,.0f} records/s ({produced_s:.1f} s)")
    store = await connect_store(bench.endpoints.mongodb_url)
    try:
        collection = store.client[bench.prefix + "raw"]["raw"]
        started = time.perf_counter()
        for start in range(0, count, 1000):
            docs = [{"_id": str(uuid.uuid4()), "phone": "+254700000000", "status": "queued"}
                    for _ in range(min(1000, count - start))]  # fmt: skip
            await collection.insert_many(docs, ordered=False)
        inserted_s = time.perf_counter() - started
    finally:
        await store.close()
    figure("raw store insert_many", f"{count / inserted_s:10,.0f} docs/s ({inserted_s:.1f} s)")


async def broadcast(http: httpx.AsyncClient, channel_id: str, group_id: str) -> str:
    body = {"groups": [group_id], "channel_id": channel_id, "text": "Bench message"}
    response = await http.post("/v1/broadcasts", json=body)
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


async def state_of(http: httpx.AsyncClient, broadcast_id: str) -> dict[str, Any]:
    response = await http.get(f"/v1/broadcasts/{broadcast_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


async def unlimited(bench: BenchRun, http: httpx.AsyncClient, group_id: str, count: int) -> None:
    made = await http.post("/v1/channels", json={"type": "log", "name": "Bench log"})
    assert made.status_code == 201, made.text
    meter = bench.meter(bench.services)
    every = max(0.2, count / 100_000)
    async with meter.measure():
        broadcast_id = await broadcast(http, made.json()["id"], group_id)

        async def resolved() -> bool:
            return (await state_of(http, broadcast_id))["state"] != "scheduled" and (
                await state_of(http, broadcast_id)
            )["state"] != "resolving"

        resolve_s = await until(resolved, 36_000, every)

        async def completed() -> bool:
            return (await state_of(http, broadcast_id))["state"] == "completed"

        send_s = await until(completed, 36_000, every)
    done = await state_of(http, broadcast_id)
    assert done["counts"]["delivered"] == count, done["counts"]
    figure("resolve (log)", f"{resolve_s:10.1f} s ({count / resolve_s:,.0f} recipients/s)")
    figure("send (log, unlimited)", f"{count / send_s:10,.0f} messages/s ({send_s:.1f} s)")
    meter.report("recipient", count)


async def paced(
    bench: BenchRun,
    http: httpx.AsyncClient,
    group_id: str,
    count: int,
    tps: int,
    window_s: float,
    profile: bool,
) -> None:
    async with running_provider(SIGNING_KEY) as provider:
        made = await http.post(
            "/v1/channels",
            json={"type": "http", "name": "Bench gateway", "tps": tps,
                  "config": {"url": provider.url}, "secrets": {"signing_key": SIGNING_KEY}},
        )  # fmt: skip
        assert made.status_code == 201, made.text
        channel_id = made.json()["id"]
        meter, work = bench.meter(bench.services), WorkMeter(bench.services)
        profiler = Profiler(bench.services, bench.work)
        async with (
            work.measure(),
            meter.measure(),
            profiler.measure() if profile else contextlib.nullcontext(),
        ):
            first = await broadcast(http, channel_id, group_id)
            await asyncio.sleep(window_s / 2)
            second = await broadcast(http, channel_id, group_id)

            async def both_done() -> bool:
                states = [(await state_of(http, b))["state"] for b in (first, second)]
                return states == ["completed", "completed"]

            await until(both_done, 36_000, 0.5)
        report_rates(provider.accepted, first, second, tps, window_s)
        meter.report("paced message", 2 * count)
        work.report("paced message", 2 * count)
        profiler.report()
        await status_reports(http, channel_id, [r.message_id for r in provider.accepted], first)


def report_rates(accepted: list[Any], first: str, second: str, tps: int, window_s: float) -> None:
    """The provider's receive rate in each window after the first, overall and per broadcast."""
    figure("paced: target", f"{tps:10,} messages/s, windows of {window_s:.0f} s")
    start = min(r.at for r in accepted)
    end = max(r.at for r in accepted)
    windows: list[str] = []
    progressed: Counter[tuple[int, str]] = Counter()
    for r in accepted:
        progressed[(int((r.at - start) // window_s), r.message_id.split(".")[0])] += 1
    for n in range(1, int((end - start) // window_s)):  # whole windows after the first
        total = sum(v for (w, _), v in progressed.items() if w == n)
        a, b = progressed[(n, first)], progressed[(n, second)]
        windows.append(f"{total / window_s:,.0f}/s ({a / window_s:,.0f} + {b / window_s:,.0f})")
    figure("paced: windows", "; ".join(windows) or "run too short for a whole window")
    both = [n for n in range(1, 1 + int((end - start) // window_s))
            if progressed[(n, first)] and progressed[(n, second)]]  # fmt: skip
    figure("paced: both progressed", f"{len(both):10} windows with messages of both broadcasts")


async def status_reports(
    http: httpx.AsyncClient, channel_id: str, message_ids: list[str], broadcast_id: str
) -> None:
    url = f"/v1/channels/{channel_id}/status"
    queue = list(message_ids)
    started = time.perf_counter()

    async def reporter() -> None:
        while queue:
            body = json.dumps({"message_id": queue.pop(), "status": "delivered"}).encode()
            headers = {"X-Roster-Signature": signature(body, SIGNING_KEY)}
            answer = await http.post(url, content=body, headers=headers)
            assert answer.status_code == 202, answer.text

    await asyncio.gather(*(reporter() for _ in range(8)))
    posted_s = time.perf_counter() - started
    mine = sum(1 for m in message_ids if m.startswith(broadcast_id))

    async def applied() -> bool:
        return int((await state_of(http, broadcast_id))["counts"]["delivered"]) >= mine

    await until(applied, 3600, 0.2)
    applied_s = time.perf_counter() - started
    figure(
        "status reports applied",
        f"{len(message_ids) / applied_s:10,.0f} reports/s ({len(message_ids):,} in "
        f"{applied_s:.1f} s; posting took {posted_s:.1f} s)",
    )


async def run(args: argparse.Namespace) -> None:
    async with bench_run() as bench:
        print(f"{args.recipients:,} recipients unlimited, {args.paced:,} paced at {args.tps}/s")
        await raw_baselines(bench, args.recipients)
        big, small = str(uuid.uuid4()), str(uuid.uuid4())
        await seed(bench, big, args.recipients)
        await seed(bench, small, args.paced)
        [dispatcher] = await bench.start(*SERVICES)
        async with httpx.AsyncClient(
            base_url=dispatcher.url, headers=bench.headers, timeout=120
        ) as http:
            await unlimited(bench, http, big, args.recipients)
            await paced(bench, http, small, args.paced, args.tps, args.window, args.profile)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--paced", type=int, default=12_000)
    parser.add_argument("--tps", type=int, default=200)
    parser.add_argument("--window", type=float, default=10.0, help="seconds per rate window")
    add_profile_option(parser, "the paced phase")
    asyncio.run(run(parse_args(parser, {"recipients": 300, "paced": 150, "tps": 100,
                                        "window": 1.0})))  # fmt: skip


if __name__ == "__main__":
    main()
