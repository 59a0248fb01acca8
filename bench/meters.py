"""What a measured phase cost, process by process: the CPU time each process taking part spent
(`CpuMeter`, from /proc), and what the services asked of the store and of Kafka (`WorkMeter`, from
their own /metrics), so that our own code's cost shows apart from the store's and the broker's."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bench.figures import figure
from tests.support.process import ServiceProcess

# The samples of the services' /metrics that `WorkMeter` adds up.
PUBLISHED = "roster_events_published_total"
STORE_COMMANDS_SAMPLE = "roster_store_commands_total"
STORE_WRITTEN_SAMPLE = "roster_store_documents_written_total"
STORE_SECONDS_SAMPLE = "roster_store_command_seconds_total"
WORK_SAMPLES = frozenset(
    {PUBLISHED, STORE_COMMANDS_SAMPLE, STORE_WRITTEN_SAMPLE, STORE_SECONDS_SAMPLE}
)

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
# Command names (/proc/<pid>/comm) of the servers a store or a broker endpoint may be.
STORE_PROGRAMS = ("roster-ferretdb", "ferretdb", "mongod")
KAFKA_PROGRAMS = ("java",)


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time of the process (all its threads), None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces; utime and stime are fields 14 and 15.
    rest = stat[stat.rindex(")") + 2 :].split()
    return (int(rest[11]) + int(rest[12])) / CLOCK_TICKS


def _address(endpoint: str, default_port: int) -> tuple[str, int] | None:
    """Host and port of the first server an endpoint names (`mongodb://h:p/` or `h:p,...`)."""
    first = endpoint.split("://", 1)[-1].split("/", 1)[0].split(",", 1)[0].rsplit("@", 1)[-1]
    try:
        parts = urlsplit("//" + first)
        return parts.hostname or "", parts.port or default_port
    except ValueError:
        return None


def _listening_sockets(port: int) -> set[str]:
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            columns = row.split()
            listening = columns[3] == "0A"
            if listening and int(columns[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(columns[9])
    return inodes


def _holds_socket(pid: int, inodes: set[str]) -> bool:
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for fd in fds:
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:[") and target[8:-1] in inodes:
            return True
    return False


def server_pid(endpoint: str, default_port: int, programs: Sequence[str]) -> int | None:
    """The process of this machine serving `endpoint`, if it is one of `programs` (the local
    launcher's FerretDB or Kafka, or a mongod): the process that listens on the endpoint's
    port, so an endpoint given through `ROSTER_*` counts when it is local too. None for a
    remote endpoint or a container (there the listener is Docker's proxy, not the server)."""
    address = _address(endpoint, default_port)
    if address is None or address[0] not in LOOPBACK:
        return None
    inodes = _listening_sockets(address[1])
    if not inodes:
        return None
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            program = Path(f"/proc/{entry}/comm").read_text().strip()
        except OSError:
            continue
        if program in programs and _holds_socket(int(entry), inodes):
            return int(entry)
    return None


@dataclass
class CpuMeter:
    """CPU seconds that each process taking part spends in the measured phases (`measure`,
    any number of times; they add up), so that our own services' cost per row shows apart
    from the store's and the broker's. A process without a pid (not local) reads "n/a"."""

    pids: dict[str, int | None]
    spent: dict[str, float | None] = field(default_factory=dict)

    @asynccontextmanager
    async def measure(self) -> AsyncIterator[None]:
        before = {name: cpu_seconds(pid) if pid else None for name, pid in self.pids.items()}
        yield
        for name, pid in self.pids.items():
            start, end = before[name], cpu_seconds(pid) if pid else None
            known = self.spent.get(name, 0.0)
            if start is None or end is None or known is None:
                self.spent[name] = None
            else:
                self.spent[name] = known + end - start

    def total(self, names: Iterable[str]) -> float | None:
        """CPU seconds the named processes spent together; None if one of them is unknown."""
        spent = [self.spent.get(name) for name in names]
        return None if None in spent else sum(s for s in spent if s is not None)

    def report(self, per: str, count: int) -> None:
        """One line per process: `cpu/<per> <process>`, microseconds per unit."""
        for name in self.pids:
            spent = self.spent.get(name)
            if spent is None:
                why = "exited" if self.pids[name] else "not a local process"
                figure(f"cpu/{per} {name}", f"       n/a ({why})")
            else:
                figure(f"cpu/{per} {name}", f"{spent / count * 1e6:10,.0f} us ({spent:.2f} s)")


@dataclass
class WorkMeter:
    """What the services asked of the store and of Kafka in the measured phases, from their
    own `/metrics` (see shared/mongo/command_metrics.py): store commands, the documents they
    carried and their time, by service, command and collection; Kafka records published."""

    services: Sequence[ServiceProcess]
    spent: dict[tuple[str, ...], float] = field(default_factory=dict)

    async def _scrape(self) -> dict[tuple[str, ...], float]:
        values: dict[tuple[str, ...], float] = {}
        async with httpx.AsyncClient(timeout=10) as client:
            for service in self.services:
                text = (await client.get(service.url + "/metrics")).text
                for family in text_string_to_metric_families(text):
                    for sample in family.samples:
                        if sample.name not in WORK_SAMPLES:
                            continue
                        labels = sample.labels
                        key = (
                            service.service,
                            sample.name,
                            labels.get("command") or labels.get("type", ""),
                            labels.get("collection") or labels.get("topic", ""),
                        )
                        values[key] = values.get(key, 0.0) + sample.value
        return values

    @asynccontextmanager
    async def measure(self) -> AsyncIterator[None]:
        before = await self._scrape()
        yield
        for key, value in (await self._scrape()).items():
            self.spent[key] = self.spent.get(key, 0.0) + value - before.get(key, 0.0)

    def total(self, sample: str, service: str | None = None) -> float:
        return sum(v for k, v in self.spent.items() if k[1] == sample and service in (None, k[0]))

    def report(self, per: str, count: int, top: int = 12) -> None:
        """Kafka records per unit; for each service, store commands, the documents they wrote
        (inserted, modified, upserted or deleted, as the store reported) and store time per
        unit; then the costliest (service, command, collection) lines by store time."""
        figure(f"kafka records/{per}", f"{self.total(PUBLISHED) / count:10.2f}")
        for service in self.services:
            name = service.service
            commands = self.total(STORE_COMMANDS_SAMPLE, name) / count
            documents = self.total(STORE_WRITTEN_SAMPLE, name) / count
            ms = self.total(STORE_SECONDS_SAMPLE, name) / count * 1000
            figure(
                f"store/{per} {name}",
                f"{commands:10.3f} commands, {documents:.2f} documents written, {ms:.2f} ms",
            )
        lines = [(v, k) for k, v in self.spent.items() if k[1] == STORE_SECONDS_SAMPLE and v > 0]
        for seconds, (service, _, command, collection) in sorted(lines, reverse=True)[:top]:
            key = (service, STORE_COMMANDS_SAMPLE, command, collection)
            commands = self.spent.get(key, 0.0)
            documents = self.spent.get((service, STORE_WRITTEN_SAMPLE, command, collection), 0.0)
            print(
                f"    {service:<9} {command:<14} {collection:<28} {commands / count:8.3f} cmd"
                f" {documents / count:7.2f} written {seconds / count * 1e6:9,.0f} us /{per}"
            )


def work_labels(per: str, services: Iterable[str]) -> tuple[str, ...]:
    """The figure labels `WorkMeter.report` prints, for a bench's `FIGURES`."""
    return (f"kafka records/{per}", *(f"store/{per} {name}" for name in services))


def cpu_labels(per: str, processes: Iterable[str]) -> tuple[str, ...]:
    """The figure labels `CpuMeter.report` prints, for a bench's `FIGURES`."""
    return tuple(f"cpu/{per} {name}" for name in processes)


def metered_processes(*services: str) -> tuple[str, ...]:
    """The process names `BenchRun.meter` reports for these services."""
    return (*services, "store", "kafka", "bench")


# How long after a phase the reference waits for the machine to be idle again.
SETTLE_S = 2.0


def reference_cpu_s(rounds: int = 5) -> float:
    """CPU seconds this machine spends on a fixed piece of pure-Python work (JSON, dicts,
    strings, sorting; the standard library only, so no change of ours alters it), the best of
    `rounds`: about 10 ms on a fast machine."""
    documents = [
        {"_id": f"c-{i:06d}", "name": f"Contact {i}", "phone": f"+2547{i:08d}", "n": i % 97}
        for i in range(2_000)
    ]
    best = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        for _ in range(5):
            decoded = json.loads(json.dumps(documents))
            by_phone = {doc["phone"]: doc for doc in decoded}
            sorted(by_phone.values(), key=lambda doc: (doc["n"], doc["name"].lower()))
        best = min(best, time.process_time() - start)
    return best


@dataclass
class MachineSpeed:
    """The reference work (`reference_cpu_s`) timed just before and just after a phase, while
    the machine is otherwise idle. The machines benches run on change speed from one minute to
    the next (the same import has cost from 500 to 750 us of CPU per row within an hour):
    a run whose two references disagree, or differ from another run's, does not compare with
    it. Timed during the phase instead, the reference measured the phase's own contention for
    the cores more than the machine. To compare two versions of the code, run them in turns."""

    before_s: float = float("nan")
    after_s: float = float("nan")

    @asynccontextmanager
    async def measure(self) -> AsyncIterator[None]:
        self.before_s = reference_cpu_s()
        yield
        await asyncio.sleep(SETTLE_S)  # the store and the broker finish their own writes
        self.after_s = reference_cpu_s()

    def report(self, per: str, count: int, cpu: CpuMeter, processes: Sequence[str]) -> None:
        """The references, and the named processes' CPU per unit together."""
        before, after = self.before_s * 1000, self.after_s * 1000
        figure("cpu reference", f"{before:10.1f} ms before, {after:.1f} ms after (fixed work)")
        spent = cpu.total(processes)
        label = f"cpu/{per} our services"
        if spent is None:
            figure(label, "       n/a (a process exited)")
        else:  # the format of every `cpu/` line (tests/e2e/test_bench_smoke.py reads it)
            figure(label, f"{spent / count * 1e6:10,.0f} us ({spent:.2f} s)")
