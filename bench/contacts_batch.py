"""Contacts throughput: batch-API creation rate against the raw insert rate, and GET latency.

Run with the local infrastructure up (`make up`, or it is started here like the tests do):

    .venv/bin/python bench/contacts_batch.py [--contacts 100000] [--concurrency 4]

Prints, from one run on this machine:
- contacts/s through `POST /v1/contacts/batch` (1,000 per call, real HTTP, a separate process);
- the raw `insert_many` rate of the same documents into the same store (same indexes, batches of
  1,000): the ratio of the two is the figure to compare across changes;
- how long until every ContactCreated was read back from Kafka (outbox relay backlog);
- GET /v1/contacts/{id} p50/p99 from 16 clients once the batches are done (bench/read_latency.py
  measures it under an import);
- the CPU time each process spent per contact (batch calls until the last event is on Kafka)
  and per GET.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.figures import figure, latency, parse_args
from bench.meters import cpu_labels, metered_processes
from bench.support import (
    bench_run,
    contact_documents,
    create_contacts,
    get_latencies,
    phone_numbers,
    raw_insert,
)
from shared.contactql.values import FieldType, FieldValue
from tests.support.kafka import TopicTail

FIGURES = (
    "batch API",
    "raw insert_many",
    "ratio API / raw",
    "all events on Kafka",
    "GET by id",
    *cpu_labels("contact", metered_processes("contacts")),
    *cpu_labels("GET", metered_processes("contacts")),
)


def entries(numbers: list[str]) -> list[dict[str, object]]:
    return [
        {"name": f"Person {i}", "phone": p, "language": "eng", "fields": {"district": "Kano"}}
        for i, p in enumerate(numbers)
    ]


async def events_published(tail: TopicTail, org: str, count: int, timeout_s: float) -> float:
    """Seconds until every ContactCreated of the run was read back from Kafka."""
    started = time.perf_counter()
    seen: set[str] = set()
    while time.perf_counter() - started < timeout_s:
        await tail.poll(1.0)
        for record in tail.records:
            envelope = json.loads(record.value or b"{}")
            if envelope.get("orgid") == org and envelope.get("type", "").endswith("Created"):
                seen.add(envelope["subject"])
        tail.records.clear()
        if len(seen) >= count:
            return time.perf_counter() - started
    return float("nan")


async def run(args: argparse.Namespace) -> None:
    async with bench_run() as bench:
        print(f"{args.contacts:,} contacts, {args.concurrency} concurrent batch calls")
        # The baseline runs alone: the store is not shared with the service while it is measured.
        district = {"district": FieldValue("Kano", FieldType.TEXT)}
        raw_docs = contact_documents(
            "bench-raw", phone_numbers(args.contacts, offset=10 * args.contacts), lambda i: district
        )
        raw_s = await raw_insert(bench.endpoints.mongodb_url, bench.prefix + "raw", raw_docs)
        (service,) = await bench.start("contacts")
        async with httpx.AsyncClient(base_url=service.url, headers=bench.headers) as http:
            defined = await http.post("/v1/fields", json={"label": "District", "type": "text"})
            defined.raise_for_status()
        batch_meter = bench.meter([service])
        topic = bench.topic_prefix + "roster.contacts"
        batch = entries(phone_numbers(args.contacts))
        async with (
            TopicTail(bench.endpoints.kafka_bootstrap, topic) as tail,
            batch_meter.measure(),
        ):
            started = time.perf_counter()
            ids = await create_contacts(service.url, bench.headers, batch, args.concurrency)
            api_s = time.perf_counter() - started
            drain_s = await events_published(tail, bench.org, len(ids), 900)
        get_meter = bench.meter([service])
        async with get_meter.measure():
            latencies = await get_latencies(service.url, bench.headers, ids, requests=args.gets)

    api_rate, raw_rate = args.contacts / api_s, args.contacts / raw_s
    figure("batch API", f"{api_rate:10,.0f} contacts/s ({api_s:.1f} s)")
    figure("raw insert_many", f"{raw_rate:10,.0f} docs/s     ({raw_s:.1f} s)")
    figure("ratio API / raw", f"{api_rate / raw_rate:10.2f}")
    figure("all events on Kafka", f"{drain_s:10.1f} s after the last batch returned")
    figure("GET by id", f"{latency(latencies)} (16 clients)")
    batch_meter.report("contact", args.contacts)
    get_meter.report("GET", len(latencies))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--gets", type=int, default=2000)
    asyncio.run(run(parse_args(parser, {"contacts": 200, "gets": 100})))


if __name__ == "__main__":
    main()
