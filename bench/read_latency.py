"""Read latency: `GET /v1/contacts/{id}` on an idle stack and while a large import runs.

    .venv/bin/python bench/read_latency.py [--import-rows 20000] [--contacts 2000] [--gets 4000]

The contacts, groups and importer services run as their own processes. `--contacts` contacts are
created through the batch API and, once the services have settled, read at random by
`--concurrency` clients (16), each sending its next request when the last is answered:
- idle: `--gets` requests, nothing else running;
- under import: from the upload of a generated CSV of `--import-rows` rows (name, phone across 10
  countries, 3 fields, `--collections` collections) through `POST /v1/imports` until the import
  completes, as many requests as fit.
Prints p50/p99 of both with their request counts, the import's rows/s, and the CPU time each
process spent per GET (idle) and per imported row (under import; the GETs' share included). The
target on the local store is p99 <= 25 ms under the import: printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.figures import figure, latency, parse_args, percentile
from bench.meters import cpu_labels, metered_processes
from bench.support import (
    bench_run,
    create_contacts,
    get_latencies,
    import_file,
    phone_numbers,
    settle,
    write_csv,
)

SERVICES = ("contacts", "groups", "importer")
TARGET_P99_MS = 25.0
FIGURES = (
    "GET idle",
    "GET under import",
    "p99 under import / target",
    "import",
    *cpu_labels("GET", metered_processes(*SERVICES)),
    *cpu_labels("row", metered_processes(*SERVICES)),
)


async def run(args: argparse.Namespace) -> None:
    async with bench_run() as bench:
        file = bench.work / "read-latency.csv"
        write_csv(
            file, phone_numbers(args.import_rows, offset=10 * args.contacts), args.collections
        )
        print(
            f"{args.contacts:,} contacts read by {args.concurrency} clients; "
            f"import of {args.import_rows:,} rows with {args.collections} collections each"
        )
        services = await bench.start(*SERVICES)
        contacts, importer = services[0], services[2]
        entries = [
            {"name": f"Reader {i}", "phone": p} for i, p in enumerate(phone_numbers(args.contacts))
        ]
        ids = await create_contacts(contacts.url, bench.headers, entries)
        settled_s = await settle([s.proc.pid for s in services if s.proc])
        print(f"services idle {settled_s:.1f} s after the contacts were created")

        idle_meter = bench.meter(services)
        started = time.perf_counter()
        async with idle_meter.measure():
            idle = await get_latencies(
                contacts.url, bench.headers, ids, concurrency=args.concurrency, requests=args.gets
            )
        idle_s = time.perf_counter() - started

        import_meter = bench.meter(services)
        started = time.perf_counter()
        async with import_meter.measure():
            importing = asyncio.create_task(import_file(importer.url, bench.headers, file))
            busy = await get_latencies(
                contacts.url, bench.headers, ids, concurrency=args.concurrency, until_done=importing
            )
            imported = await importing
        busy_s = time.perf_counter() - started

    job = imported.job
    figure("GET idle", f"{latency(idle)}, {len(idle) / idle_s:,.0f} requests/s")
    figure("GET under import", f"{latency(busy)}, {len(busy) / busy_s:,.0f} requests/s")
    p99 = percentile(busy, 99) * 1000 if busy else float("nan")
    figure("p99 under import / target", f"{p99:.1f} ms / {TARGET_P99_MS:.0f} ms (local store)")
    figure(
        "import",
        f"{job['status']}, {args.import_rows / imported.total_s:,.0f} rows/s "
        f"({imported.total_s:.1f} s, contacts part {imported.contacts_s:.1f} s); {job['counters']}",
    )
    idle_meter.report("GET", len(idle))
    import_meter.report("row", args.import_rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--import-rows", type=int, default=20_000)
    parser.add_argument("--collections", type=int, default=2, choices=range(5))
    parser.add_argument("--contacts", type=int, default=2_000)
    parser.add_argument("--gets", type=int, default=4_000)
    parser.add_argument("--concurrency", type=int, default=16)
    asyncio.run(run(parse_args(parser, {"import_rows": 200, "contacts": 50, "gets": 100})))


if __name__ == "__main__":
    main()
