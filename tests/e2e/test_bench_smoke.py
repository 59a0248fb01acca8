"""Every bench in bench/ runs at its smoke size (`--smoke`) on each test run, so that a bench
cannot rot: a bench that no longer starts, calls an API that changed or stops printing one of
its figures fails here, not on the day someone needs its numbers.

Benches are found by glob (a new one is covered without a change here); each declares in
`FIGURES` the labels of the lines it prints, its per-process CPU lines included. They reuse this
run's Kafka and store (`ROSTER_*`) and isolate themselves there (see bench/support.py). The
figures themselves are never checked: on a shared 2-core machine they are noise.
"""

from __future__ import annotations

import importlib.util
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from shared.settings import ServiceSettings
from tests.support.process import REPO_ROOT

BENCH_DIR = REPO_ROOT / "bench"
# Modules the benches import: not benches themselves.
SHARED_MODULES = {"support.py", "figures.py", "meters.py", "profiles.py"}
BENCHES = sorted(p for p in BENCH_DIR.glob("*.py") if p.name not in SHARED_MODULES)
# Against a hang only (all benches together take well under two minutes).
DEADLINE_S = 300
# A CPU line reads microseconds, or n/a where the store or Kafka is not a local process.
CPU_VALUE = re.compile(r"^\s*([\d,]+ us \(|n/a \(not a local process\))")


@dataclass
class SmokeRun:
    process: subprocess.Popen[bytes]
    output: Path

    def finish(self, deadline: float) -> str:
        """Waits for the bench; past the deadline, interrupts it (its clean-up stops the
        services it started and drops its databases), then kills what is left."""
        try:
            self.process.wait(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
            pytest.fail(f"still running after {DEADLINE_S} s:\n{self.text()}")
        return self.text()

    def text(self) -> str:
        return self.output.read_text(errors="replace")


@pytest.fixture(scope="module")
def smoke_runs(
    settings: ServiceSettings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[dict[str, SmokeRun], float]]:
    """All benches started at once: a smoke run mostly waits (services starting, events
    crossing Kafka), so side by side they take about as long as the slowest alone."""
    folder = tmp_path_factory.mktemp("bench-smoke")
    env = {
        **os.environ,
        "ROSTER_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "ROSTER_MONGODB_URL": settings.mongodb_url,
        # Each bench creates every topic under its own prefix: at 6 partitions each, the
        # benches started together ask the broker for about 600 partitions at once, and on 2
        # cores it took more than the consumers' 40 s to serve their metadata.
        "ROSTER_KAFKA_PARTITIONS": "1",
    }
    runs: dict[str, SmokeRun] = {}
    for bench in BENCHES:
        output = folder / f"{bench.stem}.out"
        with output.open("wb") as sink:
            process = subprocess.Popen(
                [sys.executable, str(bench), "--smoke"],
                env=env,
                cwd=REPO_ROOT,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its services too, to be killed together if need be
            )
        runs[bench.name] = SmokeRun(process, output)
    try:
        yield runs, time.monotonic() + DEADLINE_S
    finally:
        for run in runs.values():
            if run.process.poll() is None:
                os.killpg(run.process.pid, signal.SIGKILL)
                run.process.wait()


def declared_figures(bench: Path) -> tuple[str, ...]:
    spec = importlib.util.spec_from_file_location(f"bench_{bench.stem}", bench)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Registered while it runs, as an import would: dataclasses look their module up there.
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    figures = getattr(module, "FIGURES", None)
    assert figures, f"{bench.name} declares no FIGURES (the labels of the lines it prints)"
    return tuple(figures)


def test_benches_are_found() -> None:
    assert BENCHES, f"no bench found in {BENCH_DIR}"


@pytest.mark.parametrize("bench", BENCHES, ids=lambda b: b.stem)
def test_bench_smoke_run_prints_its_figures(
    bench: Path, smoke_runs: tuple[dict[str, SmokeRun], float]
) -> None:
    runs, deadline = smoke_runs
    output = runs[bench.name].finish(deadline)
    assert runs[bench.name].process.returncode == 0, output
    lines = output.splitlines()
    for label in declared_figures(bench):
        found = [line for line in lines if re.match(rf"{re.escape(label)}\s*:", line)]
        assert found, f"no line '{label}: ...' in the output of {bench.name}:\n{output}"
        if label.startswith("cpu/"):
            value = found[0].split(":", 1)[1]
            assert CPU_VALUE.match(value), f"{label}: {value!r}\n{output}"
