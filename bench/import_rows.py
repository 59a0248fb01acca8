"""Import throughput: a generated CSV imported end to end, against the raw insert rate.

Run with the local infrastructure up (`make up`, or it is started here like the tests do):

    .venv/bin/python bench/import_rows.py [--rows 100000]

The file has a name, a phone across 10 countries, 3 fields and 2 collections per row
(`--collections 0..4`). The
contacts, groups and importer services run as their own processes. Prints, from one run:
- rows/s from upload to `completed` (every batch answered by the contacts and groups services),
  and when the contacts part alone was done;
- the importer's peak RSS (VmHWM), which must not grow with the file;
- the raw `insert_many` rate of the same contact documents into the same store (batches of
  1,000, same indexes): the ratio of the two is the figure to compare across changes;
- the store's cost of one read and one update by `_id` of a contact document: on FerretDB each
  membership is read and written by `_id` in both services (run with `--collections 0` to see
  the import without them).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from pymongo import UpdateOne

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.contacts.adapters.repository import CONTACT_INDEXES, ContactRepository
from services.contacts.domain.model import Contact
from shared.auth import Role, TokenCodec
from shared.contactql.values import FieldType, FieldValue
from shared.mongo.client import bulk_write_in_chunks, connect_store, ensure_indexes
from shared.phone import InvalidPhone, normalize_phone
from shared.settings import ServiceSettings
from tests.support.infra import drop_databases, real_infrastructure
from tests.support.process import ServiceProcess

# Ten countries: mobile prefix and how many subscriber digits follow it.
PREFIXES = [
    ("+2547", 8), ("+23480", 8), ("+9198", 8), ("+447", 9), ("+55119", 8),
    ("+2557", 8), ("+2567", 8), ("+2782", 7), ("+23324", 7), ("+25078", 7),
]  # fmt: skip
COLLECTIONS = ["Parents", "Teachers", "Nurses", "Farmers"]


def phone_numbers(count: int, offset: int = 0) -> list[str]:
    found: list[str] = []
    seen: set[str] = set()
    i = offset
    while len(found) < count:
        prefix, digits = PREFIXES[i % len(PREFIXES)]
        candidate = prefix + str(i * 7919 % 10**digits).zfill(digits)
        i += 1
        if candidate in seen:
            continue
        try:
            found.append(normalize_phone(candidate))
        except InvalidPhone:
            continue
        seen.add(candidate)
    return found


def write_csv(path: Path, phones: list[str], collections: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write("name,phone,district,age,registered" + (",collection\n" if collections else "\n"))
        for i, phone in enumerate(phones):
            groups = ", ".join(COLLECTIONS[(i + k) % 4] for k in range(collections))
            day = f"2024-0{1 + i % 9}-1{i % 10}"
            line = f"Person {i},{phone},District {i % 47},{18 + i % 60},{day}"
            out.write(line + (f',"{groups}"\n' if collections else "\n"))


async def raw_insert(url: str, database: str, phones: list[str]) -> tuple[float, float, float]:
    """The same contact documents (fields, outbox) inserted directly, 1,000 at a time; then the
    cost of one read and of one update by `_id`, the units a membership costs."""
    store = await connect_store(url)
    try:
        repo = ContactRepository(store.client[database], store=store)
        await ensure_indexes(repo.collection, CONTACT_INDEXES)
        now = datetime.now(UTC)
        docs = []
        for i, phone in enumerate(phones):
            contact = Contact.create(
                id=str(uuid.uuid4()),
                org_id="raw",
                phone=phone,
                now=now,
                attributes={
                    "name": f"Person {i}",
                    "fields": {
                        "district": FieldValue(f"District {i % 47}", FieldType.TEXT),
                        "age": FieldValue(str(18 + i % 60), FieldType.TEXT),
                        "registered": FieldValue("2024-01-10", FieldType.TEXT),
                    },
                },
            )
            docs.append(repo._new_document(contact))
        started = time.perf_counter()
        for start in range(0, len(docs), 1000):
            await repo.collection.insert_many(docs[start : start + 1000], ordered=False)
        insert_s = time.perf_counter() - started
        ids = [doc["_id"] for doc in docs[: min(len(docs), 2000)]]
        started = time.perf_counter()
        for i in ids:
            await repo.collection.find_one({"_id": i}, {"outbox": 0})
        read_s = (time.perf_counter() - started) / len(ids)
        updates = [UpdateOne({"_id": i}, {"$addToSet": {"groups": "g"}}) for i in ids]
        started = time.perf_counter()
        await bulk_write_in_chunks(repo.collection, updates, store.write_batch)
        update_s = (time.perf_counter() - started) / len(ids)
        return insert_s, read_s, update_s
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
    with real_infrastructure() as endpoints:
        run_id = uuid.uuid4().hex[:8]
        settings = ServiceSettings()
        codec = TokenCodec(settings.jwt_signing_key, settings.jwt_issuer, settings.jwt_audience)
        org = f"bench-{run_id}"
        headers = {"Authorization": "Bearer " + codec.issue(org, Role.ADMIN, "b")}
        prefix = f"bench{run_id}_"
        work = Path(tempfile.mkdtemp())
        env = {
            "ROSTER_KAFKA_BOOTSTRAP": endpoints.kafka_bootstrap,
            "ROSTER_MONGODB_URL": endpoints.mongodb_url,
            "ROSTER_MONGODB_DB_PREFIX": prefix,
            "ROSTER_KAFKA_CONSUMER_GROUP_PREFIX": f"bench-{run_id}.",
            "ROSTER_KAFKA_TOPIC_PREFIX": f"bench{run_id}.",
            "ROSTER_LOG_LEVEL": "WARNING",
            "ROSTER_IMPORT_DIR": str(work / "imports"),
        }
        services = [
            ServiceProcess(s, env, work / f"{s}.log") for s in ("contacts", "groups", "importer")
        ]
        phones = phone_numbers(args.rows)
        file = work / "bench.csv"
        write_csv(file, phones, args.collections)
        size_mb = file.stat().st_size / 1e6
        print(f"store: {endpoints.origin}; {args.rows:,} rows, {size_mb:.1f} MB")
        raw_s, read_s, update_s = await raw_insert(
            endpoints.mongodb_url, prefix + "raw", phone_numbers(args.rows, 10 * args.rows)
        )
        for service in services:
            service.start()
        importer = services[2]
        try:
            job, contacts_s, total_s = await import_file(importer.url, headers, file)
            rss = peak_rss_mb(importer)
        finally:
            for service in services:
                service.stop()
        await drop_databases(endpoints.mongodb_url, prefix)
    counters = job["counters"]
    rate, raw_rate = args.rows / total_s, args.rows / raw_s
    print(f"status             : {job['status']} {counters}")
    print(f"contacts done      : {contacts_s:10.1f} s ({args.rows / contacts_s:,.0f} rows/s)")
    print(f"import end to end  : {total_s:10.1f} s ({rate:,.0f} rows/s, groups included)")
    print(f"raw insert_many    : {raw_s:10.1f} s ({raw_rate:,.0f} docs/s)")
    print(f"ratio import / raw : {rate / raw_rate:10.2f}")
    print(f"importer peak RSS  : {rss:10.0f} MB")
    print(f"store read by _id  : {read_s * 1000:10.2f} ms")
    print(f"store update by _id: {update_s * 1000:10.2f} ms")


async def import_file(
    url: str, headers: dict[str, str], file: Path
) -> tuple[dict[str, Any], float, float]:
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=600) as http:
        started = time.perf_counter()
        with file.open("rb") as stream:
            response = await http.post(
                "/v1/imports", files={"file": (file.name, stream)}, data={"no_group": "true"}
            )
        response.raise_for_status()
        import_id = response.json()["id"]
        contacts_s = 0.0
        while True:
            job = (await http.get(f"/v1/imports/{import_id}")).json()
            c = job["counters"]
            answered = c["created"] + c["updated"] + c["unchanged"] + c["skipped"] + c["failed"]
            if not contacts_s and job["total_rows"] and answered >= job["total_rows"]:
                contacts_s = time.perf_counter() - started
            if job["status"] in ("completed", "failed", "cancelled"):
                return (
                    job,
                    contacts_s or time.perf_counter() - started,
                    time.perf_counter() - started,
                )
            await asyncio.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--collections", type=int, default=2, choices=range(5))
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
