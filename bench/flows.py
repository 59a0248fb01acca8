"""Inbound messages at scale: what contacts write, handled end to end (received by the
dispatcher, the contact found or created and marked seen by the contacts service, the keyword
read by the flows service, the reply sent by the dispatcher), beside the raw Kafka rate.

    .venv/bin/python bench/flows.py [--contacts 100000] [--messages 2000] [--senders 16]

The contacts, dispatcher and flows services run as their own processes on their own topics.
The organisation first gets `--contacts` contacts (created through `POST /v1/contacts/batch`,
no consent recorded, and waited for until every service has projected them: the lookups of
the phases below run against an organisation of that size). Then `--messages` numbers text JOIN
to an `http` gateway (signed inbound calls, `--senders` at a time) whose provider is a real HTTP
server in this process; the organisation's welcome is the reply. The log channel takes no
inbound messages, so replies go back through the gateway (10,000/s allowed, far above what is
reached). Prints, from one run on this machine:
- raw Kafka produce rate of `--messages` records, the baseline; seconds to create and project
  the contacts;
- new numbers (`--messages` phones none of the contacts has): messages/s from the first inbound
  call to the last reply, p50/p99 from each inbound call to its reply reaching the provider
  (with the default, all calls as fast as they are answered, mostly time queued; `--rate` offers
  a steady load instead: the latency of a load the stack keeps up with),
  CPU per message of each process, and the store commands and Kafka records per message (each
  message creates a contact, records its consent, and waits for that before the welcome);
- known contacts (`--messages` of the contacts, spread over all of them): the same figures
  (found by phone, marked seen and opted in, then welcomed);
- with `--profile`, where each service's CPU went in each phase (py-spy, `bench/profiles.py`).
What bounds each figure is in the closing note of the session that measured it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.figures import figure, latency, parse_args
from bench.meters import WorkMeter, cpu_labels, metered_processes, work_labels
from bench.profiles import Profiler, add_profile_option
from bench.support import (
    BenchRun,
    bench_run,
    create_contacts,
    phone_numbers,
    produce,
    settle,
    until,
)
from services.dispatcher.domain.channels import MAX_TPS, signature
from shared.contracts.topics import TopicSpec
from shared.kafka.topics import ensure_topics
from tests.support.fake_provider import FakeProvider, running_provider

SERVICES = ("contacts", "dispatcher", "flows")
SIGNING_KEY = "bench-gateway-signing-key-0123456789"
WELCOME = "Welcome! Reply STOP to stop."
PHASES = ("new numbers", "known contacts")
FIGURES = (
    "raw Kafka produce",
    "contacts created",
    *(f"{phase}: {what}" for phase in PHASES for what in ("handled", "inbound to reply")),
    *(
        label
        for phase in PHASES
        for label in (
            *cpu_labels(f"message ({phase})", metered_processes(*SERVICES)),
            *work_labels(f"message ({phase})", SERVICES),
        )
    ),
)


async def raw_baseline(bench: BenchRun, count: int) -> None:
    kafka = bench.endpoints.kafka_bootstrap
    topic = TopicSpec(bench.topic_prefix + "raw", "phone", "bench", "raw produce rate")
    await ensure_topics(kafka, [topic], partitions=6, replication_factor=1)
    value = json.dumps({"phone": "+254700000000", "text": "JOIN", "id": "x" * 40}).encode()
    produced_s = await produce(kafka, topic.name, [(str(i), value) for i in range(count)])
    figure("raw Kafka produce", f"{count / produced_s:10,.0f} records/s ({produced_s:.1f} s)")


async def setup(dispatcher: httpx.AsyncClient, flows: httpx.AsyncClient, url: str) -> str:
    made = await dispatcher.post(
        "/v1/channels",
        json={
            "type": "http",
            "name": "Bench gateway",
            "tps": MAX_TPS,
            "config": {"url": url},
            "secrets": {"signing_key": SIGNING_KEY},
        },
    )
    assert made.status_code == 201, made.text
    keywords = (await flows.get("/v1/keywords")).json()
    saved = await flows.put("/v1/keywords", json={**keywords, "opt_in_reply": WELCOME})
    assert saved.status_code == 200, saved.text
    return str(made.json()["id"])


async def phase(
    bench: BenchRun,
    name: str,
    dispatcher: httpx.AsyncClient,
    provider: FakeProvider,
    channel_id: str,
    phones: list[str],
    senders: int,
    profile: bool,
    rate: float,
) -> None:
    """Every phone texts JOIN once; done when each got one more welcome than before."""
    before = len(provider.accepted)
    sent_at: dict[str, float] = {}
    queue = list(reversed(phones))
    url = f"/v1/channels/{channel_id}/inbound"

    first_at = time.monotonic()
    sent = 0

    async def sender() -> None:
        nonlocal sent
        while queue:
            phone = queue.pop()
            if rate:  # an offered load: message n leaves n / rate seconds after the first
                sent += 1
                await asyncio.sleep(max(0.0, first_at + sent / rate - time.monotonic()))
            body = json.dumps(
                {"from": phone, "text": "JOIN", "provider_message_id": f"{name}-{phone}"}
            ).encode()
            sent_at[phone] = time.monotonic()
            answer = await dispatcher.post(
                url, content=body, headers={"X-Roster-Signature": signature(body, SIGNING_KEY)}
            )
            assert answer.status_code == 202, answer.text

    meter, work = bench.meter(bench.services), WorkMeter(bench.services)
    profiler = Profiler(bench.services, bench.work)
    every = max(0.1, len(phones) / 50_000)

    async def replied() -> bool:
        return len(provider.accepted) - before >= len(phones)

    async with meter.measure(), work.measure():
        started = time.monotonic()
        async with profiler.measure() if profile else contextlib.nullcontext():
            await asyncio.gather(*(sender() for _ in range(senders)))
            await until(replied, 36_000, every)
        took_s = time.monotonic() - started
    replies = provider.accepted[before:]
    assert all(r.body["text"] == WELCOME for r in replies)
    waits = [r.at - sent_at[r.to] for r in replies if r.to in sent_at]
    figure(f"{name}: handled", f"{len(phones) / took_s:10,.0f} messages/s ({took_s:.1f} s)")
    figure(f"{name}: inbound to reply", latency(waits))
    meter.report(f"message ({name})", len(phones))
    work.report(f"message ({name})", len(phones))
    profiler.report()


async def seed_contacts(bench: BenchRun, contacts_url: str, phones: list[str]) -> None:
    """The organisation's contacts, through the contacts service, and projected by the others
    (until every process is idle again)."""
    started = time.monotonic()
    entries = [{"phone": phone, "name": f"Person {i}"} for i, phone in enumerate(phones)]
    await create_contacts(contacts_url, bench.headers, entries, concurrency=2)
    pids = [s.proc.pid for s in bench.services if s.proc is not None]
    await settle(pids, timeout_s=3600, window_s=2.0)
    took_s = time.monotonic() - started
    figure("contacts created", f"{took_s:10.1f} s ({len(phones) / took_s:,.0f}/s, projected)")


async def run(args: argparse.Namespace) -> None:
    messages = min(args.messages, args.contacts)
    async with bench_run() as bench:
        print(
            f"{args.contacts:,} contacts; {messages:,} new numbers then {messages:,} of the"
            f" contacts text JOIN, {args.senders} at a time"
        )
        await raw_baseline(bench, messages)
        contacts, dispatcher, flows = await bench.start(*SERVICES)
        known = phone_numbers(args.contacts)
        new = phone_numbers(messages, offset=10 * args.contacts)
        step = max(1, args.contacts // messages)
        texting = {"new numbers": new, "known contacts": known[::step][:messages]}
        async with (
            running_provider(SIGNING_KEY) as provider,
            httpx.AsyncClient(
                base_url=dispatcher.url, headers=bench.headers, timeout=120
            ) as to_dispatcher,
            httpx.AsyncClient(base_url=flows.url, headers=bench.headers, timeout=120) as to_flows,
        ):
            channel_id = await setup(to_dispatcher, to_flows, provider.url)
            await seed_contacts(bench, contacts.url, known)
            for name in PHASES:
                await phase(
                    bench,
                    name,
                    to_dispatcher,
                    provider,
                    channel_id,
                    texting[name],
                    args.senders,
                    args.profile,
                    args.rate,
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument(
        "--messages", type=int, default=2_000, help="per phase (at most --contacts)"
    )
    parser.add_argument("--senders", type=int, default=16)
    parser.add_argument(
        "--rate",
        type=float,
        default=0.0,
        help="messages/s offered (default: as fast as the gateway is answered, a backlog then"
        " builds and the latency is mostly queueing)",
    )
    add_profile_option(parser)
    asyncio.run(run(parse_args(parser, {"contacts": 100, "messages": 50, "senders": 4})))


if __name__ == "__main__":
    main()
