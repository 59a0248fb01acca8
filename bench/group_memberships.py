"""Group memberships at scale: adding contacts to a group by query and by id lists, and how long
a blocked contact takes to leave its groups, beside raw Kafka and raw store rates.

    .venv/bin/python bench/group_memberships.py [--contacts 1000000] [--samples 50]

The groups and contacts services run as their own processes on their own topics (a topic
prefix). The contacts are written straight into the contacts service's database, as it stores
them, and the groups service learns them from ContactCreated events produced here, as the
contacts service would publish them. A membership counts as added once both services hold it.
Prints, from one run on this machine:
- raw Kafka produce rate (records/s) and raw store insert rate (docs/s) of comparable records;
- memberships/s for `{query}` (a change run in the background) and for `{contact_ids}` in calls
  of 10,000: from the request until the group's `member_count` (applied from the group's own
  events) reaches the total;
- the time from a ContactStatusChanged(blocked) on Kafka until the groups service shows the
  contact in no group (p50/p99 over `--samples` contacts, each in two groups);
- the CPU time each process spent per contact projected and per membership added, and what
  each service asked of the store and of Kafka per membership (documents written included).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from collections.abc import Awaitable
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.figures import figure, parse_args, percentile
from bench.meters import WorkMeter, cpu_labels, metered_processes, work_labels
from bench.support import bench_run, contact_documents, phone_numbers, produce, until
from shared.contracts.contacts import ContactStatusChanged, OptInRecord
from shared.contracts.envelope import EventPayload, wrap
from shared.contracts.topics import TopicSpec
from shared.kafka.topics import ensure_topics
from shared.mongo.client import Document, connect_store
from shared.mongo.memberships import MembershipIndex
from shared.mongo.outbox import OUTBOX
from tests.support.contact_events import contact_created

CHUNK = 10_000
SERVICES = ("contacts", "groups")
FIGURES = (
    "raw Kafka produce",
    "raw store insert_many",
    "contacts projected",
    "add by query",
    "add by id lists",
    "memberships by ids / raw",
    "blocked -> out of groups",
    *cpu_labels("contact projected", metered_processes(*SERVICES)),
    *cpu_labels("member by query", metered_processes(*SERVICES)),
    *work_labels("member by query", SERVICES),
    *cpu_labels("member by ids", metered_processes(*SERVICES)),
    *work_labels("member by ids", SERVICES),
)


def envelope(payload: EventPayload, org: str, subject: str, sequence: int) -> bytes:
    wrapped = wrap(
        payload, source="roster/contacts", subject=subject, org_id=org, sequence=sequence
    )
    return wrapped.model_dump_json().encode()


def created(org: str, contact_id: str, i: int) -> bytes:
    payload = contact_created(contact_id, f"Bench Person {i}", f"+2547{10_000_000 + i:08d}"[:13])
    return envelope(payload, org, contact_id, 1)


def created_from(org: str, doc: Document, i: int) -> bytes:
    """The ContactCreated of a seeded contact (named so that the bench's query finds it)."""
    payload = contact_created(doc["_id"], f"Bench Person {i}", doc["phone"])
    return envelope(payload, org, doc["_id"], 1)


def blocked(org: str, contact_id: str) -> bytes:
    payload = ContactStatusChanged(
        contact_id=contact_id,
        from_status="active",
        to_status="blocked",
        reason="bench",
        actor="admin:bench",
        opt_in=OptInRecord(),
        changed_at=datetime.now(UTC),
    )
    return envelope(payload, org, contact_id, 2)


async def raw_insert(mongodb_url: str, db_name: str, count: int) -> float:
    """Projection-sized documents straight into the store, in batches of 1,000."""
    store = await connect_store(mongodb_url)
    try:
        collection = store.client[db_name]["raw"]
        docs = [
            {"_id": str(uuid.uuid4()), "org_id": "raw", "name": f"Raw {i}", "groups": ["g"]}
            for i in range(count)
        ]
        started = time.perf_counter()
        for start in range(0, count, 1000):
            await collection.insert_many(docs[start : start + 1000], ordered=False)
        return time.perf_counter() - started
    finally:
        await store.close()


async def projected(
    mongodb_url: str, db_name: str, org: str, count: int, timeout_s: float
) -> float:
    store = await connect_store(mongodb_url)
    try:
        collection = store.client[db_name]["contacts"]

        async def done() -> bool:
            return await collection.count_documents({"org_id": org}) >= count

        # Each count reads the projection (a scan on FerretDB): rarer polls for larger runs,
        # so the measurement does not slow down what it measures.
        return await until(done, timeout_s, max(0.2, count / 50_000))
    finally:
        await store.close()


async def seed_contacts(mongodb_url: str, db_name: str, org: str, count: int) -> list[Document]:
    """The contacts service's documents for `count` new contacts (their announcements already
    published: empty outboxes), 1,000 at a time."""
    docs = contact_documents(org, phone_numbers(count), lambda i: {})
    store = await connect_store(mongodb_url)
    try:
        collection = store.client[db_name]["contacts"]
        for start in range(0, count, 1000):
            batch = docs[start : start + 1000]
            for doc in batch:
                doc[OUTBOX] = []
            await collection.insert_many(batch, ordered=False)
        return docs
    finally:
        await store.close()


async def run(args: argparse.Namespace) -> None:
    async with bench_run() as bench:
        kafka, topics, org = bench.endpoints.kafka_bootstrap, bench.topic_prefix, bench.org
        n = args.contacts
        print(f"{n:,} contacts")
        raw_topic = TopicSpec(topics + "raw", "contact id", "bench", "raw produce rate")
        await ensure_topics(kafka, [raw_topic], partitions=6, replication_factor=1)
        raw_ids = [str(uuid.uuid4()) for _ in range(n)]
        raw_kafka_s = await produce(
            kafka, raw_topic.name, [(i, created("raw", i, k)) for k, i in enumerate(raw_ids)]
        )
        raw_store_s = await raw_insert(bench.endpoints.mongodb_url, bench.prefix + "raw", n)
        services = await bench.start(*SERVICES)
        groups_service = services[SERVICES.index("groups")]
        docs = await seed_contacts(bench.endpoints.mongodb_url, bench.prefix + "contacts", org, n)
        ids = [doc["_id"] for doc in docs]
        projection_meter, query_meter, ids_meter = (bench.meter(services) for _ in range(3))
        query_work, ids_work = WorkMeter(services), WorkMeter(services)
        store = await connect_store(bench.endpoints.mongodb_url)
        # The contacts service's side of each membership, read on the store.
        contacts_side = MembershipIndex(store.client[bench.prefix + "contacts"]["memberships"])
        async with httpx.AsyncClient(
            base_url=groups_service.url, headers=bench.headers, timeout=120
        ) as http:
            async with projection_meter.measure():
                await produce(
                    kafka,
                    topics + "roster.contacts",
                    [(doc["_id"], created_from(org, doc, k)) for k, doc in enumerate(docs)],
                )
                seed_s = await projected(
                    bench.endpoints.mongodb_url, bench.prefix + "groups", org, n, 36_000
                )

            async def new_group(name: str) -> str:
                response = await http.post("/v1/groups", json={"name": name})
                response.raise_for_status()
                return str(response.json()["id"])

            async def both_hold(group_id: str) -> bool:
                """Every membership applied by the groups service (its member count, from the
                group's own events) and by the contacts service (its membership index)."""
                got = await http.get(f"/v1/groups/{group_id}")
                if int(got.json()["member_count"]) < n:
                    return False
                return await contacts_side.count(group_id) >= n

            by_query = await new_group("By query")
            async with query_work.measure(), query_meter.measure():
                started = time.perf_counter()
                answer = await http.post(
                    f"/v1/groups/{by_query}/members", json={"query": "name ~ bench"}
                )
                answer.raise_for_status()
                change_url = answer.headers["location"]

                async def change_finished() -> bool:
                    got = (await http.get(change_url)).json()
                    if got["status"] == "failed":
                        raise RuntimeError(f"the change failed: {got['error']}")
                    return got["status"] == "completed"

                await until(change_finished, 36_000, 0.5 if n < 50_000 else 1)
                change_s = time.perf_counter() - started
                query_s = change_s + await until(lambda: both_hold(by_query), 36_000, 0.5)

            by_ids = await new_group("By ids")
            async with ids_work.measure(), ids_meter.measure():
                started = time.perf_counter()
                for start in range(0, n, CHUNK):
                    chunk = ids[start : start + CHUNK]
                    answer = await http.post(
                        f"/v1/groups/{by_ids}/members", json={"contact_ids": chunk}
                    )
                    answer.raise_for_status()
                ids_call_s = time.perf_counter() - started
                ids_s = ids_call_s + await until(lambda: both_hold(by_ids), 36_000, 0.5)

            latencies: list[float] = []
            for contact_id in ids[: args.samples]:
                sent = time.perf_counter()
                await produce(
                    kafka, topics + "roster.contacts", [(contact_id, blocked(org, contact_id))]
                )

                async def left(contact_id: str = contact_id) -> bool:
                    got = await http.get(f"/v1/memberships/{contact_id}")
                    return got.json() == {"items": []}

                await until(left, 120, 0.01)
                latencies.append(time.perf_counter() - sent)
        await store.close()

    def rate(seconds: float) -> str:
        return f"{n / seconds:10,.0f} /s ({seconds:.1f} s)"

    figure("raw Kafka produce", rate(raw_kafka_s))
    figure("raw store insert_many", rate(raw_store_s))
    figure("contacts projected", rate(seed_s))
    figure("add by query", f"{rate(query_s)}  (change done {change_s:.1f} s)")
    figure("add by id lists", f"{rate(ids_s)}  (calls of {CHUNK:,}: {ids_call_s:.1f} s)")
    figure("memberships by ids / raw", f"{(n / ids_s) / (n / raw_store_s):10.2f}")
    figure(
        "blocked -> out of groups",
        f"p50 {percentile(latencies, 50) * 1000:.0f} ms, "
        f"p99 {percentile(latencies, 99) * 1000:.0f} ms over {len(latencies)} contacts",
    )
    projection_meter.report("contact projected", n)
    query_meter.report("member by query", n)
    query_work.report("member by query", n)
    ids_meter.report("member by ids", n)
    ids_work.report("member by ids", n)


async def _reached(count: Awaitable[int], total: int) -> bool:
    return await count >= total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=50)
    asyncio.run(run(parse_args(parser, {"contacts": 200, "samples": 3})))


if __name__ == "__main__":
    main()
