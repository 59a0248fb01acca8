"""Where each service's CPU goes in a measured phase: py-spy samples each service's process
(without pausing it: `--nonblocking`), and each sample is charged to the innermost frame of our
own code (`services/`, `shared/`) on its stack, so that a line reads "this function of ours, with
the library calls it made from there". Samples with no frame of ours (the event loop, a library's
own task) are charged to their innermost frame.

Used by `import_rows.py --profile`. Needs py-spy (a dev dependency) and the right to trace the
services (root, or `ptrace_scope` 0); a bench without `--profile` never starts it.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.process import ServiceProcess

PY_SPY = Path(sys.executable).with_name("py-spy")
OWN_CODE = ("services/", "shared/")
# `function (path:line)`: the line number is dropped, so one function is one line.
_FRAME = re.compile(r"^(?P<function>.*) \((?P<path>[^():]+)(?::\d+)?\)$")


def charged_frames(raw: str) -> Counter[str]:
    """Samples per charged frame (`function (path)`), from py-spy's raw (collapsed) output:
    one stack per line, frames outermost first separated by `;`, then the sample count."""
    charged: Counter[str] = Counter()
    for line in raw.splitlines():
        stack, _, count = line.rstrip().rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [_frame(f) for f in stack.split(";")]
        own = [f for f in frames if f.split(" (", 1)[-1].startswith(OWN_CODE)]
        charged[own[-1] if own else frames[-1]] += int(count)
    return charged


def _frame(text: str) -> str:
    match = _FRAME.match(text.strip())
    if match is None:
        return text.strip()
    path = match["path"]
    for root in OWN_CODE:  # py-spy may print our paths absolute
        if f"/{root}" in path:
            path = root + path.split(f"/{root}", 1)[1]
    return f"{match['function']} ({path})"


@dataclass
class Profiler:
    """py-spy on each service for the measured phase; `report` prints the costliest frames."""

    services: Sequence[ServiceProcess]
    folder: Path
    rate: int = 100
    samples: dict[str, Counter[str]] = field(default_factory=dict)

    @asynccontextmanager
    async def measure(self) -> AsyncIterator[None]:
        recorders: dict[str, tuple[asyncio.subprocess.Process, Path]] = {}
        for service in self.services:
            assert service.proc is not None, f"{service.service} is not running"
            out = self.folder / f"{service.service}.profile"
            options = ["--rate", str(self.rate), "--format", "raw", "--nonblocking"]
            process = await asyncio.create_subprocess_exec(
                str(PY_SPY),
                "record",
                "--pid",
                str(service.proc.pid),
                *options,
                "--output",
                str(out),
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
            )
            recorders[service.service] = (process, out)
        try:
            yield
        finally:
            for process, _ in recorders.values():
                process.send_signal(signal.SIGINT)
            for name, (process, out) in recorders.items():
                _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
                if not out.exists():
                    raise RuntimeError(f"py-spy wrote no profile of {name}: {stderr.decode()}")
                self.samples[name] = charged_frames(out.read_text())

    def report(self, top: int = 10) -> None:
        for name, charged in self.samples.items():
            total = sum(charged.values())
            print(f"  profile {name}: {total:,} samples at {self.rate}/s, where they were charged")
            for frame, count in charged.most_common(top):
                print(f"    {count / max(total, 1) * 100:5.1f}%  {frame}")


def add_profile_option(parser: argparse.ArgumentParser, what: str = "each service") -> None:
    """`--profile`, the same in every bench that offers it."""
    parser.add_argument(
        "--profile", action="store_true", help=f"sample {what} with py-spy (needs ptrace)"
    )
