"""Contacts throughput: batch-API creation rate against the raw insert rate, and GET latency.

Run with the local infrastructure up (`make up`, or it is started here like the tests do):

    .venv/bin/python bench/contacts_batch.py [--contacts 100000] [--concurrency 4]

Prints, from one run on this machine:
- contacts/s through `POST /v1/contacts/batch` (1,000 per call, real HTTP, a separate process);
- the raw `insert_many` rate of the same documents into the same store (same indexes, batches of
  1,000): the ratio of the two is the figure to compare across changes;
- how long until every ContactCreated was read back from Kafka (outbox relay backlog);
- GET /v1/contacts/{id} p50/p99 under concurrent load.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.contacts.adapters.repository import CONTACT_INDEXES, ContactRepository
from services.contacts.domain.model import Contact
from shared.auth import Role, TokenCodec
from shared.mongo.client import connect_store, ensure_indexes
from shared.phone import InvalidPhone, normalize_phone
from shared.settings import ServiceSettings
from tests.support.infra import drop_databases, real_infrastructure
from tests.support.kafka import TopicTail
from tests.support.process import ServiceProcess

# Mobile prefixes and how many subscriber digits follow them.
PREFIXES = [("+2547", 8), ("+23480", 8), ("+9198", 8), ("+447", 9), ("+55119", 8), ("+2557", 8)]


def phones(count: int, offset: int = 0) -> list[str]:
    """Distinct valid mobile numbers across several countries (checked by the real parser)."""
    result: list[str] = []
    i = offset
    while len(result) < count:
        prefix, digits = PREFIXES[i % len(PREFIXES)]
        candidate = prefix + str(10_000_000 + i * 7919 % 89_999_999).zfill(digits)[-digits:]
        i += 1
        try:
            result.append(normalize_phone(candidate))
        except InvalidPhone:
            continue
    return list(dict.fromkeys(result))


def entries(numbers: list[str]) -> list[dict[str, object]]:
    return [
        {"name": f"Person {i}", "phone": p, "language": "eng", "fields": {"district": "Kano"}}
        for i, p in enumerate(numbers)
    ]


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


async def api_create(
    url: str, headers: dict[str, str], batches: list[list[dict[str, object]]], concurrency: int
) -> tuple[float, list[str]]:
    queue: asyncio.Queue[list[dict[str, object]]] = asyncio.Queue()
    for batch in batches:
        queue.put_nowait(batch)
    ids: list[str] = []

    async def worker() -> None:
        async with httpx.AsyncClient(base_url=url, timeout=120) as http:
            while not queue.empty():
                batch = queue.get_nowait()
                response = await http.post(
                    "/v1/contacts/batch", json={"contacts": batch}, headers=headers
                )
                response.raise_for_status()
                body = response.json()
                if body["failed"]:
                    raise RuntimeError(f"{body['failed']} entries failed: {body['results'][:2]}")
                ids.extend(r["contact"]["id"] for r in body["results"])

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started, ids


async def raw_insert(mongodb_url: str, db_name: str, numbers: list[str]) -> float:
    """The same documents the service writes (state + outbox entry), straight into the store."""
    store = await connect_store(mongodb_url)
    db = store.client[db_name]
    repo = ContactRepository(db)
    await ensure_indexes(repo.collection, CONTACT_INDEXES)
    org, now = "bench-raw", datetime.now(UTC)
    docs = [
        repo._new_document(
            Contact.create(
                id=str(uuid.uuid4()),
                org_id=org,
                phone=p,
                now=now,
                attributes={
                    "name": f"Person {i}",
                    "language": "eng",
                    "fields": {"district": "Kano"},
                },
            )
        )
        for i, p in enumerate(numbers)
    ]
    started = time.perf_counter()
    for i in range(0, len(docs), 1000):
        await repo.collection.insert_many(docs[i : i + 1000], ordered=False)
    elapsed = time.perf_counter() - started
    await store.close()
    return elapsed


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


async def get_latency(
    url: str, headers: dict[str, str], ids: list[str], requests: int, concurrency: int
) -> list[float]:
    samples: list[float] = []
    picks = [random.choice(ids) for _ in range(requests)]

    async def worker(chunk: list[str]) -> None:
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            for contact_id in chunk:
                t0 = time.perf_counter()
                response = await http.get(f"/v1/contacts/{contact_id}", headers=headers)
                samples.append(time.perf_counter() - t0)
                response.raise_for_status()

    await asyncio.gather(*(worker(picks[i::concurrency]) for i in range(concurrency)))
    return samples


async def run(args: argparse.Namespace) -> None:
    with real_infrastructure() as endpoints:
        run_id = uuid.uuid4().hex[:8]
        settings = ServiceSettings()
        codec = TokenCodec(settings.jwt_signing_key, settings.jwt_issuer, settings.jwt_audience)
        org = f"bench-{run_id}"
        headers = {"Authorization": "Bearer " + codec.issue(org, Role.ADMIN, "b")}
        prefix = f"bench{run_id}_"
        log = Path(tempfile.mkdtemp()) / "contacts.log"
        service = ServiceProcess(
            "contacts",
            {
                "ROSTER_KAFKA_BOOTSTRAP": endpoints.kafka_bootstrap,
                "ROSTER_MONGODB_URL": endpoints.mongodb_url,
                "ROSTER_MONGODB_DB_PREFIX": prefix,
                "ROSTER_KAFKA_CONSUMER_GROUP_PREFIX": f"bench-{run_id}.",
                "ROSTER_LOG_LEVEL": "WARNING",
            },
            log,
        )
        numbers = phones(args.contacts)
        raw_numbers = phones(args.contacts, offset=10 * args.contacts)
        batches = [entries(numbers[i : i + 1000]) for i in range(0, len(numbers), 1000)]
        print(
            f"store: {endpoints.origin} ({endpoints.mongodb_url}); "
            f"{args.contacts} contacts, {args.concurrency} concurrent batch calls"
        )
        # The baseline runs alone: the store is not shared with the service while it is measured.
        raw_s = await raw_insert(endpoints.mongodb_url, prefix + "raw", raw_numbers)
        service.start()
        try:
            async with TopicTail(endpoints.kafka_bootstrap, "roster.contacts") as tail:
                api_s, ids = await api_create(service.url, headers, batches, args.concurrency)
                drain_s = await events_published(tail, org, len(ids), 900)
            latencies = await get_latency(service.url, headers, ids, args.gets, 16)
        finally:
            service.stop()
        await drop_databases(endpoints.mongodb_url, prefix)
    api_rate, raw_rate = args.contacts / api_s, args.contacts / raw_s
    print(f"batch API          : {api_rate:10.0f} contacts/s ({api_s:.1f} s)")
    print(f"raw insert_many    : {raw_rate:10.0f} docs/s     ({raw_s:.1f} s)")
    print(f"ratio API / raw    : {api_rate / raw_rate:10.2f}")
    print(f"all events on Kafka: {drain_s:10.1f} s after the last batch returned")
    print(
        f"GET by id (16 conc): p50 {percentile(latencies, 50) * 1000:.1f} ms, "
        f"p99 {percentile(latencies, 99) * 1000:.1f} ms over {len(latencies)} requests"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--gets", type=int, default=2000)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
