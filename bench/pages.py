"""Pages: what a console page reads, timed through the API beside the same reads on the store.

    .venv/bin/python bench/pages.py [--contacts 500000] [--orgs 5] [--big 100000] [--reads 20]

`--contacts` contacts across `--orgs` organisations, `--big` of them in the bench's own, are
written straight into both services' databases as the services store them (the contacts
service's documents and the groups service's projection, and both services' membership
index; one in ten archived; the first `--members` of the bench's organisation in a group
created through the API), without events:
seeding half a million contacts through the API would take hours on the local store. Then,
one request at a time, `--reads` times each:
- the first and the tenth page (`--page-size` 50, the cursor followed) of `GET /v1/contacts` with no
  filter, `status=archived`, `group=<the group>`, `query=group = "<the group>"` and `sort=name`;
- `GET /v1/contacts/count`;
- the first page of `GET /v1/groups/{id}/members`.
Beside each, the same read through the service's own repository straight on the store (the
filter, sort and limit the service uses, the documents decoded): the floor the API can reach.
Prints p50/p99 of both, the target (p99 <= 100 ms on the local store: printed, never asserted)
and the CPU each process spent per timed API read (a tenth page's walk through the nine before
it included).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.figures import figure, latency, parse_args, percentile
from bench.meters import CpuMeter, cpu_labels, metered_processes
from bench.support import BenchRun, bench_run, contact_documents, phone_numbers, until
from services.contacts.adapters.contact_collection import (
    MEMBERS_ORDER_KEY,
    OUTBOX,
    ContactCollection,
)
from services.contacts.adapters.contact_repository import MongoContactRepository
from services.contacts.domain.listing import SORTS, ContactFilter
from services.groups.adapters.contact_projection import MongoContactProjection
from shared.contactql.predicates import Attribute, Equals, Target
from shared.mongo.client import Document, Store, connect_store
from shared.mongo.memberships import membership_id
from shared.mongo.outbox import OutboxWakeup
from shared.settings import ServiceSettings

SERVICES = ("contacts", "groups")
TARGET_P99_MS = 100.0
TENTH = 10
# label → (API query parameters, the filter and sort the contacts service lists with)
LISTS: dict[str, tuple[dict[str, str], ContactFilter, str]] = {
    "contacts": ({}, ContactFilter(), "-created_at"),
    "archived": ({"status": "archived"}, ContactFilter(status="archived"), "-created_at"),
    "group": ({}, ContactFilter(), "-created_at"),  # the group's id is added once known
    "group query": ({}, ContactFilter(), "-created_at"),  # `group = <the group>`, likewise
    "by name": ({"sort": "name"}, ContactFilter(), "name"),
}
GROUP_NAME = "Bench members"
READS = (
    *(f"{label} page {page}" for label in LISTS for page in (1, TENTH)),
    "count",
    "members page 1",
)
FIGURES = (
    *(f"{read} {where}" for read in READS for where in ("api", "store")),
    "target p99",
    *cpu_labels("read", metered_processes(*SERVICES)),
)


@dataclass
class Timed:
    api: list[float]
    store: list[float]


async def seed(
    store: Store,
    settings: ServiceSettings,
    org: str,
    sizes: Sequence[int],
    group: str,
    members: int,
) -> float:
    """Writes the contacts of each organisation (the first `sizes[0]` in `org`) into both
    services' databases, 1,000 at a time; returns the seconds it took."""
    contacts = store.client[settings.database_name("contacts")]["contacts"]
    projection = store.client[settings.database_name("groups")]["contacts"]
    membership_collections = [
        store.client[settings.database_name(service)]["memberships"] for service in SERVICES
    ]
    phones = phone_numbers(sum(sizes))
    started = time.perf_counter()
    offset = 0
    for index, size in enumerate(sizes):
        owner = org if index == 0 else f"{org}-other-{index}"
        for start in range(0, size, 1000):
            count = min(1000, size - start)
            docs = contact_documents(owner, phones[offset : offset + count], lambda i: {})
            offset += count
            for number, doc in enumerate(docs, start=start):
                doc[OUTBOX] = []
                doc["name"] = doc["name_sort"] = f"person {uuid.uuid4().hex[:8]}"
                if number % 10 == 9:
                    doc["status"] = "archived"
                if index == 0 and number < members:
                    doc["groups"] = [group]
            await contacts.insert_many(docs, ordered=False)
            await projection.insert_many([projected(doc) for doc in docs], ordered=False)
            joined = [
                {
                    "_id": membership_id(group, doc["_id"]),
                    "group_id": group,
                    "contact_id": doc["_id"],
                }
                for doc in docs
                if doc.get("groups")
            ]
            if joined:
                order = {doc["_id"]: doc[MEMBERS_ORDER_KEY] for doc in docs}
                for service, memberships in zip(SERVICES, membership_collections, strict=True):
                    written = joined
                    if service == "contacts":  # its memberships carry their listing order
                        written = [m | {MEMBERS_ORDER_KEY: order[m["contact_id"]]} for m in joined]
                    await memberships.insert_many(written, ordered=False)
    return time.perf_counter() - started


def projected(doc: Document) -> Document:
    """The groups service's copy of a contact: the same queryable shape, no outbox."""
    return {k: v for k, v in doc.items() if k != OUTBOX} | {"gone": False}


async def timed(samples: list[float], read: Callable[[], Awaitable[Any]]) -> Any:
    started = time.perf_counter()
    result = await read()
    samples.append(time.perf_counter() - started)
    return result


async def api_page(
    http: httpx.AsyncClient,
    path: str,
    params: dict[str, str],
    page: int,
    size: int,
    samples: list[float],
) -> None:
    """Follows the cursor to `page`; only that page's request is timed."""
    cursor: str | None = None
    for number in range(1, page + 1):
        query = {**params, "limit": str(size), **({"cursor": cursor} if cursor else {})}
        if number == page:
            response = await timed(samples, partial(http.get, path, params=query))
        else:
            response = await http.get(path, params=query)
        response.raise_for_status()
        cursor = response.json().get("next_cursor")
        if cursor is None and number < page:
            raise RuntimeError(f"{path} {params}: no page {number + 1}")


async def run(args: argparse.Namespace) -> None:
    tenth = TENTH * args.page_size
    if args.big // 10 < tenth or args.members < tenth:
        raise SystemExit(
            f"a tenth page needs {tenth:,} archived contacts (one in ten of --big) and "
            f"{tenth:,} --members"
        )
    async with bench_run() as bench:
        settings = ServiceSettings(mongodb_db_prefix=bench.prefix)
        others = max(args.orgs - 1, 1)
        sizes = [args.big] + [(args.contacts - args.big) // others] * (args.orgs - 1)
        print(
            f"{sum(sizes):,} contacts in {args.orgs} organisations ({args.big:,} in one), "
            f"{args.members:,} of them in a group; {args.reads} reads of each"
        )
        contacts, groups = await bench.start(*SERVICES)
        async with httpx.AsyncClient(headers=bench.headers, timeout=600) as http:
            created = await http.post(f"{groups.url}/v1/groups", json={"name": GROUP_NAME})
            created.raise_for_status()
            group = created.json()["id"]
            await until(lambda: group_known(http, contacts.url), 60, 0.2)
        store = await connect_store(bench.endpoints.mongodb_url)
        try:
            seconds = await seed(store, settings, bench.org, sizes, group, args.members)
            print(f"seeded in {seconds:.1f} s ({sum(sizes) / seconds:,.0f} contacts/s)")
            lists = dict(LISTS)
            lists["group"] = ({"group": group}, ContactFilter(group=group), "-created_at")
            in_group = Equals(Target(attribute=Attribute.GROUP), group)
            lists["group query"] = (GROUP_QUERY, ContactFilter(query=in_group), "-created_at")
            results, meter = await measure(
                args, bench, store, settings, contacts.url, groups.url, lists
            )
        finally:
            await store.close()
    for read in READS:
        figure(f"{read} api", latency(results[read].api))
        figure(f"{read} store", latency(results[read].store))
    worst = max(percentile(t.api, 99) for t in results.values()) * 1000
    figure(
        "target p99", f"{TARGET_P99_MS:.0f} ms each (local store); worst API p99 {worst:,.1f} ms"
    )
    meter.report("read", args.reads * len(READS))


GROUP_QUERY = {"query": f'group = "{GROUP_NAME}"'}


async def group_known(http: httpx.AsyncClient, contacts_url: str) -> bool:
    """The contacts service has the group from its event (a query may name it)."""
    answer = await http.get(f"{contacts_url}/v1/contacts", params=GROUP_QUERY)
    return answer.status_code == 200


async def measure(
    args: argparse.Namespace,
    bench: BenchRun,
    store: Store,
    settings: ServiceSettings,
    contacts_url: str,
    groups_url: str,
    lists: dict[str, tuple[dict[str, str], ContactFilter, str]],
) -> tuple[dict[str, Timed], CpuMeter]:
    """Every read `args.reads` times through the API (metered), then on the store."""
    reader = store.reading(settings.database_name("contacts"))
    repository = MongoContactRepository(ContactCollection(reader, store, OutboxWakeup()))
    members = MongoContactProjection(store.reading(settings.database_name("groups")), store)
    results = {read: Timed([], []) for read in READS}
    group = lists["group"][1].group or ""
    meter = bench.meter(bench.services)
    async with (
        httpx.AsyncClient(base_url=contacts_url, headers=bench.headers, timeout=600) as api,
        httpx.AsyncClient(base_url=groups_url, headers=bench.headers, timeout=600) as groups,
        meter.measure(),
    ):
        for _ in range(args.reads):
            for label, (params, _, _) in lists.items():
                for page in (1, TENTH):
                    samples = results[f"{label} page {page}"].api
                    await api_page(api, "/v1/contacts", params, page, args.page_size, samples)
            await timed(results["count"].api, lambda: api.get("/v1/contacts/count"))
            members_page = results["members page 1"].api
            await api_page(
                groups, f"/v1/groups/{group}/members", {}, 1, args.page_size, members_page
            )
    for _ in range(args.reads):
        for label, (_, flt, sort) in lists.items():
            for page in (1, TENTH):
                samples = results[f"{label} page {page}"].store
                await store_page(repository, bench.org, flt, sort, page, args.page_size, samples)
        await timed(results["count"].store, lambda: repository.count(bench.org, ContactFilter()))
        await timed(
            results["members page 1"].store,
            lambda: members.members(bench.org, group, after=None, limit=args.page_size + 1),
        )
    return results, meter


async def store_page(
    repository: MongoContactRepository,
    org: str,
    flt: ContactFilter,
    sort: str,
    page: int,
    size: int,
    samples: list[float],
) -> None:
    """The page as the service lists it: the keyset after the last page's last contact."""
    after: tuple[Any, str] | None = None
    field = SORTS[sort][0]
    for number in range(1, page + 1):

        def read(a: tuple[Any, str] | None = after) -> Awaitable[Any]:
            return repository.list(org, flt, sort=sort, after=a, limit=size + 1)

        found = await (timed(samples, read) if number == page else read())
        last = found[size - 1]
        value = (last.name or "").casefold() if field == "name_sort" else getattr(last, field)
        after = (value, last.id)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=500_000)
    parser.add_argument("--orgs", type=int, default=5)
    parser.add_argument("--big", type=int, default=100_000)
    parser.add_argument("--members", type=int, default=1_000)
    parser.add_argument("--reads", type=int, default=20)
    parser.add_argument("--page-size", type=int, default=50)
    smoke = {"contacts": 800, "big": 600, "members": 60, "reads": 1, "page_size": 5}
    asyncio.run(run(parse_args(parser, smoke)))


if __name__ == "__main__":
    main()
