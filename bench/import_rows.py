"""Import throughput: a generated CSV imported end to end, against the raw insert rate.

Run with the local infrastructure up (`make up`, or it is started here like the tests do):

    .venv/bin/python bench/import_rows.py [--rows 100000]

The file has a name, a phone across 10 countries, 3 fields and 2 collections per row
(`--collections 0..4`). The contacts, groups and importer services run as their own processes.
Prints, from one run:
- rows/s from upload to `completed` (every batch answered by the contacts and groups services),
  and when the contacts part alone was done;
- the importer's peak RSS (VmHWM), which must not grow with the file;
- the raw `insert_many` rate of the same contact documents into the same store (batches of
  1,000, same indexes): the ratio of the two is the figure to compare across changes
  (`--baseline-rows N` measures it, and the floor, on the first N rows only);
- the floor: the raw `insert_many` rate of every document such an import must leave in the
  store (each contact with its `groups`, the groups service's copy of it, and each membership
  in both services' membership indexes, with their indexes), and the import's ratio to it;
- the store's cost of one read and one update by `_id` of a contact document: on FerretDB each
  membership is read and written by `_id` in both services (run with `--collections 0` to see
  the import without them);
- the CPU time each process spent per row, from the upload until `completed`, and our three
  services' together, and a fixed piece of Python work timed before and after the import
  (`MachineSpeed`): runs compare only where those agree;
- Kafka records published per row, and the store commands each service sent per row (with the
  documents they wrote and their time), the costliest by command and collection listed;
- with `--profile`, where each service's CPU went (py-spy, see `bench/profiles.py`).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

from pymongo import UpdateOne

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.figures import figure, parse_args
from bench.meters import MachineSpeed, WorkMeter, cpu_labels, metered_processes, work_labels
from bench.profiles import Profiler, add_profile_option
from bench.support import (
    bench_run,
    contact_documents,
    import_file,
    phone_numbers,
    raw_insert,
    write_csv,
)
from services.contacts.adapters.contact_collection import CONTACT_INDEXES, MEMBERS_ORDER_KEY
from services.groups.adapters.contact_projection import PROJECTION_INDEXES
from shared.contactql.values import FieldType, FieldValue
from shared.mongo.client import Document, bulk_write_in_chunks, connect_store, ensure_indexes
from shared.mongo.memberships import MembershipIndex
from shared.mongo.outbox import OUTBOX
from tests.support.process import ServiceProcess

SERVICES = ("contacts", "groups", "importer")
FIGURES = (
    "status",
    "baselines measured on",
    "contacts done",
    "import end to end",
    "raw insert_many",
    "ratio import / raw",
    "raw floor",
    "ratio import / floor",
    "importer peak RSS",
    "store read by _id",
    "store update by _id",
    *cpu_labels("row", metered_processes(*SERVICES)),
    "cpu reference",
    "cpu/row our services",
    *work_labels("row", SERVICES),
)


def raw_fields(i: int) -> dict[str, FieldValue]:
    """The fields of row `i` of the file, as the service stores them."""
    return {
        "district": FieldValue(f"District {i % 47}", FieldType.TEXT),
        "age": FieldValue(str(18 + i % 60), FieldType.TEXT),
        "registered": FieldValue("2024-01-10", FieldType.TEXT),
    }


async def id_costs(url: str, database: str, ids: list[str]) -> tuple[float, float]:
    """Seconds for one read and for one update by `_id`: the units a membership costs."""
    store = await connect_store(url)
    try:
        collection = store.client[database]["contacts"]
        started = time.perf_counter()
        for i in ids:
            await collection.find_one({"_id": i}, {"outbox": 0})
        read_s = (time.perf_counter() - started) / len(ids)
        updates = [UpdateOne({"_id": i}, {"$addToSet": {"groups": "g"}}) for i in ids]
        started = time.perf_counter()
        await bulk_write_in_chunks(collection, updates, store.write_batch)
        return read_s, (time.perf_counter() - started) / len(ids)
    finally:
        await store.close()


async def raw_floor(url: str, database: str, docs: list[Document], collections: int) -> float:
    """Seconds to `insert_many`, 1,000 rows at a time, every document an import of these rows
    must store however it is built: the contact (in its groups), the groups service's copy,
    and each membership in both services' indexes, all with the services' indexes. No import
    can go faster on this store while each service keeps its own copy and membership index."""
    store = await connect_store(url)
    try:
        db = store.client[database]
        contacts, projection = db["contacts"], db["projection"]
        await ensure_indexes(contacts, CONTACT_INDEXES)
        await ensure_indexes(projection, PROJECTION_INDEXES)
        ordered = MembershipIndex(db["contact_memberships"], order_key=MEMBERS_ORDER_KEY)
        await ordered.create_indexes()
        plain = MembershipIndex(db["group_memberships"])
        groups = [f"group-{k}" for k in range(collections)]
        started = time.perf_counter()
        for start in range(0, len(docs), 1000):
            batch = [doc | {"groups": groups} for doc in docs[start : start + 1000]]
            await contacts.insert_many(batch, ordered=False)
            copies = [{k: v for k, v in d.items() if k != OUTBOX} | {"gone": False} for d in batch]
            await projection.insert_many(copies, ordered=False)
            ids = [doc["_id"] for doc in batch]
            created = {doc["_id"]: doc[MEMBERS_ORDER_KEY] for doc in batch}
            for group in groups:
                await ordered.add(group, ids, created)
                await plain.add(group, ids)
        return time.perf_counter() - started
    finally:
        await store.close()


def peak_rss_mb(process: ServiceProcess) -> float:
    assert process.proc is not None
    status = Path(f"/proc/{process.proc.pid}/status").read_text()
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def run(args: argparse.Namespace) -> None:
    async with bench_run() as bench:
        file = bench.work / "bench.csv"
        write_csv(file, phone_numbers(args.rows), args.collections)
        size_mb = file.stat().st_size / 1e6
        print(f"{args.rows:,} rows, {size_mb:.1f} MB")
        baseline_rows = min(args.rows, args.baseline_rows or args.rows)
        docs = contact_documents("raw", phone_numbers(baseline_rows, 10 * args.rows), raw_fields)
        raw_db = bench.prefix + "raw"
        raw_s = await raw_insert(bench.endpoints.mongodb_url, raw_db, docs)
        ids = [doc["_id"] for doc in docs[: max(1, min(2000, baseline_rows // 4))]]
        read_s, update_s = await id_costs(bench.endpoints.mongodb_url, raw_db, ids)
        floor_s = await raw_floor(
            bench.endpoints.mongodb_url, bench.prefix + "floor", docs, args.collections
        )
        del docs
        services = await bench.start(*SERVICES)
        importer = services[2]
        meter, work, speed = bench.meter(services), WorkMeter(services), MachineSpeed()
        profiler = Profiler(services, bench.work)
        async with speed.measure(), work.measure(), meter.measure():
            if args.profile:
                async with profiler.measure():
                    imported = await import_file(importer.url, bench.headers, file)
            else:
                imported = await import_file(importer.url, bench.headers, file)
        rss = peak_rss_mb(importer)
    job, total_s, contacts_s = imported.job, imported.total_s, imported.contacts_s
    rate, raw_rate = args.rows / total_s, baseline_rows / raw_s
    sampled = " (--baseline-rows)" if baseline_rows < args.rows else ""
    figure("baselines measured on", f"{baseline_rows:10,} rows{sampled}")
    figure("status", f"{job['status']} {job['counters']}")
    figure("contacts done", f"{contacts_s:10.1f} s ({args.rows / contacts_s:,.0f} rows/s)")
    figure("import end to end", f"{total_s:10.1f} s ({rate:,.0f} rows/s, groups included)")
    figure("raw insert_many", f"{raw_s:10.1f} s ({raw_rate:,.0f} docs/s)")
    figure("ratio import / raw", f"{rate / raw_rate:10.2f}")
    floor_rate = baseline_rows / floor_s
    figure("raw floor", f"{floor_s:10.1f} s ({floor_rate:,.0f} rows/s, every document stored)")
    figure("ratio import / floor", f"{rate / floor_rate:10.2f}")
    figure("importer peak RSS", f"{rss:10.0f} MB")
    figure("store read by _id", f"{read_s * 1000:10.2f} ms")
    figure("store update by _id", f"{update_s * 1000:10.2f} ms")
    meter.report("row", args.rows)
    speed.report("row", args.rows, meter, SERVICES)
    work.report("row", args.rows)
    profiler.report()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--collections", type=int, default=2, choices=range(5))
    parser.add_argument(
        "--baseline-rows",
        type=int,
        default=0,
        help="measure the raw insert and the floor on this many rows (default: all of them;"
        " a million-row run takes an hour less with 100,000)",
    )
    add_profile_option(parser)
    asyncio.run(run(parse_args(parser, {"rows": 200})))


if __name__ == "__main__":
    main()
