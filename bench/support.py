"""What every bench shares, so that no bench carries its own copy: the run's isolation and clean-up
(`bench_run`), the services as processes, a token, generated phones and CSV files, uploading an
import and following it, and GET latency under concurrent clients. How a bench prints its figures
is in `bench/figures.py`; what a measured phase cost each process, in `bench/meters.py`.

Each bench declares `FIGURES`, the labels of the lines it must print; the smoke test
(tests/e2e/test_bench_smoke.py) runs every bench with `--smoke` and looks for them.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import signal
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer

from bench.meters import KAFKA_PROGRAMS, STORE_PROGRAMS, CpuMeter, cpu_seconds, server_pid
from services.contacts.adapters.contact_collection import CONTACT_INDEXES, new_document
from services.contacts.domain.model import Contact
from shared.auth import Role, TokenCodec
from shared.contactql.values import FieldValue
from shared.mongo.client import Document, connect_store, ensure_indexes
from shared.phone import InvalidPhone, normalize_phone
from shared.settings import ServiceSettings
from tests.support.infra import Endpoints, delete_topics, drop_databases, real_infrastructure
from tests.support.process import ServiceProcess

# Ten countries: mobile prefix and how many subscriber digits follow it.
PREFIXES = [
    ("+2547", 8), ("+23480", 8), ("+9198", 8), ("+447", 9), ("+55119", 8),
    ("+2557", 8), ("+2567", 8), ("+2782", 7), ("+23324", 7), ("+25078", 7),
]  # fmt: skip
COLLECTIONS = ["Parents", "Teachers", "Nurses", "Farmers"]

# --- the run: isolation, services, clean-up -------------------------------------------------


@dataclass
class BenchRun:
    """One bench run's own corner of the shared infrastructure: database, consumer group and
    topic prefixes carrying a run id, an organisation, a token, a work folder."""

    endpoints: Endpoints
    run_id: str
    work: Path
    services: list[ServiceProcess] = field(default_factory=list)

    @property
    def prefix(self) -> str:
        return f"bench{self.run_id}_"

    @property
    def topic_prefix(self) -> str:
        return f"bench{self.run_id}."

    @property
    def org(self) -> str:
        return f"bench-{self.run_id}"

    @property
    def headers(self) -> dict[str, str]:
        settings = ServiceSettings()
        codec = TokenCodec(settings.jwt_signing_key, settings.jwt_issuer, settings.jwt_audience)
        return {"Authorization": "Bearer " + codec.issue(self.org, Role.ADMIN, "bench")}

    def env(self) -> dict[str, str]:
        return {
            "ROSTER_KAFKA_BOOTSTRAP": self.endpoints.kafka_bootstrap,
            "ROSTER_MONGODB_URL": self.endpoints.mongodb_url,
            "ROSTER_MONGODB_DB_PREFIX": self.prefix,
            "ROSTER_KAFKA_CONSUMER_GROUP_PREFIX": f"bench-{self.run_id}.",
            "ROSTER_KAFKA_TOPIC_PREFIX": self.topic_prefix,
            "ROSTER_LOG_LEVEL": "WARNING",
            "ROSTER_IMPORT_DIR": str(self.work / "imports"),
        }

    async def start(self, *names: str) -> list[ServiceProcess]:
        """Starts the services side by side and waits until each is ready."""
        started = [ServiceProcess(name, self.env(), self.work / f"{name}.log") for name in names]
        self.services += started
        await asyncio.gather(*(asyncio.to_thread(s.start) for s in started))
        return started

    def meter(self, services: Sequence[ServiceProcess] = ()) -> CpuMeter:
        """A meter over these services, the store, Kafka and this process (the load)."""
        pids: dict[str, int | None] = {s.service: s.proc.pid if s.proc else None for s in services}
        pids["store"] = server_pid(self.endpoints.mongodb_url, 27017, STORE_PROGRAMS)
        pids["kafka"] = server_pid(self.endpoints.kafka_bootstrap, 9092, KAFKA_PROGRAMS)
        pids["bench"] = os.getpid()
        return CpuMeter(pids)

    async def stop(self) -> None:
        await asyncio.gather(*(asyncio.to_thread(s.stop) for s in self.services))


@asynccontextmanager
async def bench_run() -> AsyncIterator[BenchRun]:
    """Reuses (or starts) the infrastructure like the tests; at the end stops the services and
    drops the run's databases and topics. On a failure, the services' logs are shown first.
    SIGTERM (`kill`) ends the run the same way as Ctrl-C: without this, a killed bench left
    its services running, polling the store under every later measurement."""
    main, loop = asyncio.current_task(), asyncio.get_running_loop()

    def terminate() -> None:  # once: a second SIGTERM (uvicorn re-raises one) must not cut
        loop.add_signal_handler(signal.SIGTERM, lambda: None)  # the clean-up short
        if main is not None:
            main.cancel()

    loop.add_signal_handler(signal.SIGTERM, terminate)
    with real_infrastructure() as endpoints:
        run = BenchRun(
            endpoints, uuid.uuid4().hex[:8], Path(tempfile.mkdtemp(prefix="roster-bench-"))
        )
        print(
            f"infrastructure: {endpoints.origin}, "
            f"{endpoints.mongodb_url}, Kafka {endpoints.kafka_bootstrap}"
        )
        try:
            yield run
        except BaseException:
            for service in run.services:
                print(f"--- {service.service} log (last lines):\n{service.log_tail()}", flush=True)
            raise
        finally:
            await run.stop()
            await drop_databases(endpoints.mongodb_url, run.prefix)
            await delete_topics(endpoints.kafka_bootstrap, run.topic_prefix)
            shutil.rmtree(run.work, ignore_errors=True)


async def until(probe: Callable[[], Awaitable[bool]], timeout_s: float, every_s: float) -> float:
    """Seconds until `probe` holds; TimeoutError after `timeout_s`."""
    started = time.perf_counter()
    while not await probe():
        if time.perf_counter() - started > timeout_s:
            raise TimeoutError(f"not reached within {timeout_s:.0f} s")
        await asyncio.sleep(every_s)
    return time.perf_counter() - started


# --- data -----------------------------------------------------------------------------------


def phone_numbers(count: int, offset: int = 0) -> list[str]:
    """Distinct valid mobile numbers across ten countries (checked by the real parser), made
    from index `offset` on: a second set that must not share a number with a first of N starts
    at 10 N (some indices make no valid number and are passed over)."""
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


def contact_documents(
    org: str, phones: Sequence[str], fields: Callable[[int], dict[str, FieldValue]]
) -> list[Document]:
    """The documents the contacts service writes for new contacts (state and outbox entry)."""
    now = datetime.now(UTC)
    return [
        new_document(
            Contact.create(
                id=str(uuid.uuid4()),
                org_id=org,
                phone=phone,
                now=now,
                attributes={"name": f"Person {i}", "fields": fields(i)},
            )
        )
        for i, phone in enumerate(phones)
    ]


async def produce(bootstrap: str, topic: str, records: Sequence[tuple[str, bytes]]) -> float:
    """Seconds to produce keyed records (acks=all), 5,000 in flight at a time: the raw Kafka
    baseline, and how benches play another service's events."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    started = time.perf_counter()
    try:
        for start in range(0, len(records), 5000):
            sends = [
                await producer.send(topic, value, key=key.encode())
                for key, value in records[start : start + 5000]
            ]
            await asyncio.gather(*sends)
    finally:
        await producer.stop()
    return time.perf_counter() - started


async def raw_insert(mongodb_url: str, db_name: str, docs: Sequence[Document]) -> float:
    """The baseline: seconds to `insert_many` the documents, 1,000 at a time, into a `contacts`
    collection with the service's indexes, on the same store."""
    store = await connect_store(mongodb_url)
    try:
        collection = store.client[db_name]["contacts"]
        await ensure_indexes(collection, CONTACT_INDEXES)
        started = time.perf_counter()
        for start in range(0, len(docs), 1000):
            await collection.insert_many(list(docs[start : start + 1000]), ordered=False)
        return time.perf_counter() - started
    finally:
        await store.close()


def write_csv(path: Path, phones: Sequence[str], collections: int) -> None:
    """An import file: name, phone, 3 fields and `collections` collections per row."""
    with path.open("w", encoding="utf-8") as out:
        out.write("name,phone,district,age,registered" + (",collection\n" if collections else "\n"))
        for i, phone in enumerate(phones):
            groups = ", ".join(COLLECTIONS[(i + k) % 4] for k in range(collections))
            day = f"2024-0{1 + i % 9}-1{i % 10}"
            line = f"Person {i},{phone},District {i % 47},{18 + i % 60},{day}"
            out.write(line + (f',"{groups}"\n' if collections else "\n"))


@dataclass
class ImportRun:
    job: dict[str, Any]
    contacts_s: float  # until every row had its answer from the contacts service
    total_s: float  # until `completed` (groups included)


async def import_file(url: str, headers: dict[str, str], file: Path) -> ImportRun:
    """Uploads the file to the importer (no group named after the file) and follows the job
    until it ends."""
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
            got = await http.get(f"/v1/imports/{import_id}")
            got.raise_for_status()
            job = got.json()
            c = job["counters"]
            answered = c["created"] + c["updated"] + c["unchanged"] + c["skipped"] + c["failed"]
            if not contacts_s and job["total_rows"] and answered >= job["total_rows"]:
                contacts_s = time.perf_counter() - started
            if job["status"] in ("completed", "failed", "cancelled"):
                total_s = time.perf_counter() - started
                return ImportRun(job, contacts_s or total_s, total_s)
            await asyncio.sleep(0.5)


async def settle(pids: Sequence[int], timeout_s: float = 30, window_s: float = 1.0) -> float:
    """Seconds until none of the processes used more than 5% of a core over `window_s`: an
    "idle" measurement then finds the events of what came before relayed and consumed."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout_s:
        before = [cpu_seconds(pid) or 0.0 for pid in pids]
        await asyncio.sleep(window_s)
        after = [cpu_seconds(pid) or 0.0 for pid in pids]
        if all(b - a <= 0.05 * window_s for a, b in zip(before, after, strict=True)):
            break
    return time.perf_counter() - started


# --- requests -------------------------------------------------------------------------------


async def create_contacts(
    url: str, headers: dict[str, str], entries: Sequence[dict[str, Any]], concurrency: int = 1
) -> list[str]:
    """Creates the contacts through `POST /v1/contacts/batch`, 1,000 a call and `concurrency`
    calls at a time; returns their ids. Any entry refused stops the bench."""
    batches = [list(entries[i : i + 1000]) for i in range(0, len(entries), 1000)]
    ids: list[str] = []

    async def caller() -> None:
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=300) as http:
            while batches:
                response = await http.post("/v1/contacts/batch", json={"contacts": batches.pop()})
                response.raise_for_status()
                body = response.json()
                if body["failed"]:
                    raise RuntimeError(f"{body['failed']} entries failed: {body['results'][:2]}")
                ids.extend(r["contact"]["id"] for r in body["results"])

    await asyncio.gather(*(caller() for _ in range(concurrency)))
    return ids


async def get_latencies(
    url: str,
    headers: dict[str, str],
    ids: Sequence[str],
    *,
    concurrency: int = 16,
    requests: int | None = None,
    until_done: asyncio.Future[Any] | None = None,
) -> list[float]:
    """`GET /v1/contacts/{id}` of random ids from `concurrency` clients, each sending its next
    request when the last is answered: `requests` in all, or as many as fit until `until_done`
    is done. Seconds per request; any answer but 200 stops the bench."""
    samples: list[float] = []
    sent_count = 0

    def more() -> bool:
        nonlocal sent_count
        if until_done is not None:
            return not until_done.done()
        sent_count += 1
        return requests is not None and sent_count <= requests

    async def client() -> None:
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as http:
            while more():
                contact_id = random.choice(ids)
                sent = time.perf_counter()
                response = await http.get(f"/v1/contacts/{contact_id}")
                samples.append(time.perf_counter() - sent)
                if response.status_code != 200:
                    raise RuntimeError(
                        f"GET /v1/contacts/{contact_id}: {response.status_code} {response.text}"
                    )

    await asyncio.gather(*(client() for _ in range(concurrency)))
    return samples
