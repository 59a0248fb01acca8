"""`roster import FILE`: uploads a file to the importer, follows the job until it ends, prints
the summary, and saves the error report next to the file when rows failed.

Progress is a live bar (rows, rows/s, ETA) on a terminal and a plain line every few seconds
otherwise, so that a log never fills with carriage returns. What goes wrong is one line and
exit code 1: the upload refused (with the importer's code and message), the importer
unreachable, an error while following the job. Ctrl-C asks whether to cancel the job on the
server; when nobody can answer (no terminal), the job goes on.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.prompt import Confirm

POLL_S = 0.5
LOG_EVERY_S = 10.0
BAR = 30
FINISHED = ("completed", "failed", "cancelled")
INTERRUPTED = 130  # what a shell reports for a command ended by SIGINT
_DONE = ("created", "updated", "unchanged", "skipped", "failed")


class ImportFailed(Exception):
    """The import could not go on; the message is the one line to print."""


def _done(job: dict[str, Any]) -> int:
    counters = job.get("counters") or {}
    return sum(int(counters.get(k, 0)) for k in _DONE)


def _rate_and_eta(job: dict[str, Any], elapsed_s: float) -> tuple[float, str]:
    total, done = int(job.get("total_rows") or 0), _done(job)
    rate = done / elapsed_s if elapsed_s > 0 else 0.0
    return rate, f"{(total - done) / rate:,.0f}s" if rate > 0 and total else "?"


def progress_line(job: dict[str, Any], elapsed_s: float) -> str:
    total, done = int(job.get("total_rows") or 0), _done(job)
    rate, eta = _rate_and_eta(job, elapsed_s)
    share = done / total if total else 0.0
    filled = int(BAR * min(1.0, share))
    return (
        f"[{'#' * filled}{' ' * (BAR - filled)}] {share:6.1%} {done:,}/{total:,} rows"
        f"  {rate:,.0f} rows/s  ETA {eta}  ({job['status']})"
    )


def summary(job: dict[str, Any], elapsed_s: float) -> str:
    c = job.get("counters") or {}
    lines = [
        f"import {job['id']}: {job['status']} in {elapsed_s:,.1f}s",
        f"  rows read {c.get('rows_read', 0):,}  created {c.get('created', 0):,}  "
        f"updated {c.get('updated', 0):,}  unchanged {c.get('unchanged', 0):,}  "
        f"skipped {c.get('skipped', 0):,}  failed {c.get('failed', 0):,}",
    ]
    if job.get("error"):
        lines.append(f"  error: {job['error']}")
    return "\n".join(lines)


def error_line(response: httpx.Response, what: str) -> str:
    """`import refused (422 invalid_mapping): no phone column found` from an error answer."""
    try:
        error = response.json()["error"]
        code, message = f" {error['code']}", str(error["message"])
    except (ValueError, KeyError, TypeError):
        code, message = "", " ".join(response.text.split())[:200] or response.reason_phrase
    return f"{what} ({response.status_code}{code}): {message}"


def _unreachable(base_url: str, exc: httpx.HTTPError) -> str:
    return f"cannot reach the importer at {base_url}: {exc or type(exc).__name__}"


@dataclass
class Session:
    """Where the importer is, as whom, and the job once the upload is accepted: what an
    interrupted import needs to be cancelled."""

    base_url: str
    token: str
    transport: httpx.AsyncBaseTransport | None = None
    job_id: str | None = None

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=600,
            transport=self.transport,
        )


class LogLines:
    """A plain progress line when the status changes and every LOG_EVERY_S otherwise."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.status = ""
        self.last = 0.0

    def __enter__(self) -> LogLines:
        return self

    def __exit__(self, *_: object) -> None:
        pass

    def show(self, job: dict[str, Any], elapsed_s: float) -> None:
        if job["status"] != self.status or elapsed_s - self.last >= LOG_EVERY_S:
            print(progress_line(job, elapsed_s), file=self.out, flush=True)
            self.status, self.last = job["status"], elapsed_s


class LiveBar:
    """rich's live progress bar, for a terminal."""

    def __init__(self, console: Console) -> None:
        self.progress = Progress(
            TextColumn("{task.description:>10}"),
            BarColumn(),
            TextColumn("{task.percentage:>5.1f}%"),
            MofNCompleteColumn(),
            TextColumn("rows  {task.fields[rate]} rows/s  ETA {task.fields[eta]}"),
            console=console,
        )
        self.task: TaskID | None = None

    def __enter__(self) -> LiveBar:
        self.progress.start()
        self.task = self.progress.add_task("queued", total=None, rate="0", eta="?")
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.progress.stop()

    def show(self, job: dict[str, Any], elapsed_s: float) -> None:
        assert self.task is not None
        rate, eta = _rate_and_eta(job, elapsed_s)
        self.progress.update(
            self.task,
            description=job["status"],
            total=int(job.get("total_rows") or 0) or None,
            completed=_done(job),
            rate=f"{rate:,.0f}",
            eta=eta,
        )


async def run(
    base_url: str,
    token: str,
    path: Path,
    form: dict[str, str],
    out: TextIO = sys.stderr,
    transport: httpx.AsyncBaseTransport | None = None,
    session: Session | None = None,
) -> int:
    """0 when the job completed, 1 otherwise (with one line saying why)."""
    session = session or Session(base_url, token, transport)
    try:
        return await _import(session, path, form, out)
    except ImportFailed as exc:
        print(exc, file=out)
    except httpx.HTTPError as exc:
        print(_unreachable(base_url, exc), file=out)
    return 1


async def _import(session: Session, path: Path, form: dict[str, str], out: TextIO) -> int:
    async with session.client() as http:
        started = time.monotonic()
        with path.open("rb") as stream:
            response = await http.post(
                "/v1/imports", files={"file": (path.name, stream)}, data=form
            )
        if response.status_code != 202:
            raise ImportFailed(error_line(response, "import refused"))
        job: dict[str, Any] = response.json()
        session.job_id = job["id"]
        job = await _follow(http, job, out, started)
        print(summary(job, time.monotonic() - started), file=out)
        counters = job.get("counters") or {}
        if counters.get("failed") or counters.get("skipped"):
            await _save_report(http, session.base_url, job, path, out)
        return 0 if job["status"] == "completed" else 1


async def _follow(
    http: httpx.AsyncClient, job: dict[str, Any], out: TextIO, started: float
) -> dict[str, Any]:
    # The stream's own answer: rich would also draw its bar into a log when FORCE_COLOR is set.
    display = LiveBar(Console(file=out)) if out.isatty() else LogLines(out)
    with display:
        while job["status"] not in FINISHED:
            await asyncio.sleep(POLL_S)
            response = await http.get(f"/v1/imports/{job['id']}")
            if response.status_code != 200:
                raise ImportFailed(error_line(response, f"following import {job['id']} failed"))
            job = response.json()
            display.show(job, time.monotonic() - started)
    return job


async def _save_report(
    http: httpx.AsyncClient, base_url: str, job: dict[str, Any], path: Path, out: TextIO
) -> None:
    response = await http.get(f"/v1/imports/{job['id']}/errors?format=csv")
    if response.status_code != 200:
        raise ImportFailed(error_line(response, "the error report could not be read"))
    report = path.with_name(path.name + ".errors.csv")
    report.write_bytes(response.content)
    print(f"  error report: {report} ({base_url}{job['errors_url']})", file=out)


async def interrupted(
    session: Session, out: TextIO, ask: Callable[[str], bool] | None = None
) -> int:
    """After Ctrl-C: cancel the job on the server if the user says so. `ask` answers the
    question (None: nobody can, the job goes on)."""
    if session.job_id is None:
        print("interrupted before the importer accepted the file", file=out)
        return INTERRUPTED
    job_url = f"{session.base_url}/v1/imports/{session.job_id}"
    if ask is None or not ask(f"Cancel import {session.job_id} on the server?"):
        print(f"interrupted; import {session.job_id} goes on on the server: {job_url}", file=out)
        return INTERRUPTED
    try:
        async with session.client() as http:
            response = await http.post(f"/v1/imports/{session.job_id}/cancel")
    except httpx.HTTPError as exc:
        print(_unreachable(session.base_url, exc), file=out)
        return 1
    if response.status_code != 200:
        print(error_line(response, f"cancelling import {session.job_id} failed"), file=out)
        return 1
    print(f"import {session.job_id} cancelled: {job_url}", file=out)
    return INTERRUPTED


def terminal_question(out: TextIO) -> Callable[[str], bool] | None:
    """A yes/no question on the terminal, no by default; None without a terminal."""
    if not sys.stdin.isatty():
        return None
    console = Console(file=out)

    def ask(question: str) -> bool:
        try:
            return bool(Confirm.ask(question, default=False, console=console))
        except (KeyboardInterrupt, EOFError):
            return False

    return ask


def import_file(
    base_url: str, token: str, path: Path, form: dict[str, str], out: TextIO = sys.stderr
) -> int:
    """The `roster import` command: runs the import, and handles Ctrl-C."""
    if not path.is_file():
        print(f"no such file: {path}", file=out)
        return 1
    session = Session(base_url, token)
    try:
        return asyncio.run(run(base_url, token, path, form, out, session=session))
    except KeyboardInterrupt:
        print(file=out)
        return asyncio.run(interrupted(session, out, terminal_question(out)))
