"""Contact queries: first page and count for 10 representative queries, beside raw driver calls.

    .venv/bin/python bench/contact_queries.py [--contacts 1000000] [--repeats 5]

Seeds contacts with 5 custom fields straight into a bench database (the documents the service
writes), then for each query measures, in the same run and on the same store:
- ours: the query text parsed, resolved and translated (`parse_query` + the repository's
  `list` (first page of 50, newest first) and `count`);
- raw: `find` and `count_documents` with the equivalent filter written by hand.
Prints p50/p95 of each and the ratio ours/raw (p50): the translation's cost, the figure to watch;
then the CPU time per query (page and count) of this process (where ours runs) and of the store,
for ours and for raw.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pymongo import DESCENDING

from bench.figures import figure, parse_args, percentile
from bench.meters import CpuMeter, cpu_labels, metered_processes
from bench.support import bench_run
from services.contacts.adapters.contact_collection import ContactCollection, new_document
from services.contacts.adapters.contact_repository import MongoContactRepository
from services.contacts.domain.fields import coerce_value
from services.contacts.domain.listing import ContactFilter
from services.contacts.domain.model import Contact, ContactStatus
from shared.contactql.resolve import QueryContext, parse_query
from shared.contactql.values import FieldType
from shared.mongo.client import connect_store
from shared.mongo.outbox import OutboxWakeup

ORG = "bench-org"
TZ = "Africa/Lagos"
FIELDS = {
    "age": FieldType.NUMBER,
    "district": FieldType.DISTRICT,
    "dob": FieldType.DATETIME,
    "vip": FieldType.BOOLEAN,
    "occupation": FieldType.TEXT,
}
FIRST = ["Amina", "Bola", "Chidi", "Dayo", "Emeka", "Funke", "Grace", "Hassan", "Ifeoma", "Jide"]
LAST = ["Bello", "Okafor", "Adeyemi", "Musa", "Eze", "Ibrahim", "Okoro", "Lawal"]
DISTRICTS = ["Kano", "Ikeja", "Kaduna", "Enugu", "Jos", "Port Harcourt", "Ibadan", "Abuja"]
JOBS = ["teacher", "farmer", "nurse", "trader", "driver", "student"]
T0 = datetime(2025, 1, 1, tzinfo=UTC)

# (query, equivalent hand-written filter over the stored document)
QUERIES: list[tuple[str, dict[str, Any]]] = [
    ("age > 18", {"fields.age.number": {"$gt": 18.0}}),
    ('district = "Kano"', {"fields.district.lc": "kano"}),
    (
        'age > 18 AND district = "Kano"',
        {"$and": [{"fields.age.number": {"$gt": 18.0}}, {"fields.district.lc": "kano"}]},
    ),
    (
        "vip = yes OR age < 12",
        {"$or": [{"fields.vip.boolean": True}, {"fields.age.number": {"$lt": 12.0}}]},
    ),
    (
        "dob < 1990-01-01",
        {"fields.dob.datetime": {"$lt": datetime(1989, 12, 31, 23, tzinfo=UTC)}},
    ),
    ("occupation = teacher", {"fields.occupation.lc": "teacher"}),
    ("name ~ ami", {"name_words": {"$regex": "^ami"}}),
    (
        "tel ~ 0001",
        {"$or": [{"phone": {"$regex": "0001"}}, {"secondary_phone": {"$regex": "0001"}}]},
    ),
    ('district != ""', {"fields.district": {"$exists": True}}),
    (
        "created_on >= 2025-01-04 AND occupation = nurse",
        {
            "$and": [
                {"created_at": {"$gte": datetime(2025, 1, 3, 23, tzinfo=UTC)}},
                {"fields.occupation.lc": "nurse"},
            ]
        },
    ),
]
FIGURES = (
    "seeded",
    *(text for text, _ in QUERIES),
    *cpu_labels("query ours", metered_processes()),
    *cpu_labels("query raw", metered_processes()),
)


def contact(i: int, rng: random.Random) -> Contact:
    created = T0 + timedelta(minutes=i % 50_000)
    raw: dict[str, Any] = {
        "age": rng.randint(1, 90),
        "district": rng.choice(DISTRICTS),
        "dob": (datetime(1950, 1, 1) + timedelta(days=rng.randint(0, 25_000))).date().isoformat(),
        "vip": rng.choice(["yes", "no"]),
        "occupation": rng.choice(JOBS),
    }
    values = {k: coerce_value(k, v, FIELDS[k], TZ) for k, v in raw.items() if rng.random() < 0.9}
    c = Contact.create(
        id=str(uuid.uuid4()),
        org_id=ORG,
        phone=f"+234803{i:07d}",
        now=created,
        attributes={
            "name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            "fields": {k: v for k, v in values.items() if v is not None},
        },
    )
    c.status = rng.choice(
        [ContactStatus.ACTIVE] * 8 + [ContactStatus.ARCHIVED, ContactStatus.STOPPED]
    )
    return c


async def seed(contacts: ContactCollection, count: int) -> float:
    """The documents the service writes, without events: these never went through it."""
    rng = random.Random(7)
    started = time.perf_counter()
    for start in range(0, count, 2000):
        docs = [
            new_document(contact(i, rng), with_events=False)
            for i in range(start, min(count, start + 2000))
        ]
        await contacts.collection.insert_many(docs, ordered=False)
    return time.perf_counter() - started


async def timed(
    call: Callable[[], Awaitable[Any]], repeats: int, meter: CpuMeter
) -> tuple[list[float], Any]:
    samples, result = [], None
    async with meter.measure():
        for _ in range(repeats):
            t0 = time.perf_counter()
            result = await call()
            samples.append(time.perf_counter() - t0)
    return samples, result


def ms(samples: list[float], q: int) -> float:
    return percentile(samples, q) * 1000


async def measure(
    repo: MongoContactRepository,
    context: QueryContext,
    query: tuple[str, dict[str, Any]],
    repeats: int,
    meters: tuple[CpuMeter, CpuMeter],
) -> None:
    text, raw_filter = query
    scoped = {"$and": [{"org_id": ORG, "deleted": False, "status": "active"}, raw_filter]}

    async def ours() -> tuple[int, int]:
        parsed = parse_query(text, context)
        flt = ContactFilter(status="active", query=parsed.predicate)
        page = await repo.list(ORG, flt, sort="-created_at", after=None, limit=50)
        return len(page), await repo.count(ORG, flt)

    async def raw() -> tuple[int, int]:
        page = await repo.collection.find(
            scoped,
            {"outbox": 0},
            sort=[("created_at", DESCENDING), ("_id", DESCENDING)],
            limit=50,
            batch_size=50,
        ).to_list()
        return len(page), await repo.collection.count_documents(scoped)

    ours_s, ours_result = await timed(ours, repeats, meters[0])
    raw_s, raw_result = await timed(raw, repeats, meters[1])
    if ours_result != raw_result:
        raise SystemExit(f"{text}: ours {ours_result} != raw {raw_result}")
    figure(
        text,
        f"{ms(ours_s, 50):8.0f}/{ms(ours_s, 95):<9.0f} {ms(raw_s, 50):8.0f}/{ms(raw_s, 95):<9.0f} "
        f"{ms(ours_s, 50) / ms(raw_s, 50):6.2f} {ours_result[1]:8d}",
        width=48,
    )


async def run(args: argparse.Namespace) -> None:
    async with bench_run() as bench:
        store = await connect_store(bench.endpoints.mongodb_url)
        meters = (bench.meter(), bench.meter())
        try:
            contacts = ContactCollection(
                store.client[bench.prefix + "contacts"], store, OutboxWakeup()
            )
            repo = MongoContactRepository(contacts)
            await contacts.create_indexes()
            seeded = await seed(contacts, args.contacts)
            figure("seeded", f"{args.contacts:,} contacts in {seeded:.1f} s")
            context = QueryContext(timezone=TZ, default_country="NG", fields=FIELDS)
            header = ("query", "ours p50/p95 ms", "raw p50/p95 ms", "ratio", "count")
            print(f"{header[0]:50}{header[1]:>18} {header[2]:>18} {header[3]:>6} {header[4]:>8}")
            for query in QUERIES:
                await measure(repo, context, query, args.repeats, meters)
        finally:
            await store.close()
    calls = len(QUERIES) * args.repeats
    meters[0].report("query ours", calls)
    meters[1].report("query raw", calls)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    asyncio.run(run(parse_args(parser, {"contacts": 50, "repeats": 1})))


if __name__ == "__main__":
    main()
