"""`roster import FILE`: uploads a file to the importer, shows progress (rows/s, ETA) until the
job ends, prints the summary, and saves the error report next to the file when rows failed."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Any, TextIO

import httpx

POLL_S = 0.5
BAR = 30


def progress_line(job: dict[str, Any], elapsed_s: float) -> str:
    total = int(job.get("total_rows") or 0)
    counters = job.get("counters") or {}
    done = sum(
        int(counters.get(k, 0)) for k in ("created", "updated", "unchanged", "skipped", "failed")
    )
    rate = done / elapsed_s if elapsed_s > 0 else 0.0
    share = done / total if total else 0.0
    filled = int(BAR * min(1.0, share))
    eta = f"{(total - done) / rate:,.0f}s" if rate > 0 and total else "?"
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


async def run(
    base_url: str,
    token: str,
    path: Path,
    form: dict[str, str],
    out: TextIO = sys.stderr,
    transport: httpx.AsyncBaseTransport | None = None,
) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(
        base_url=base_url, headers=headers, timeout=600, transport=transport
    ) as http:
        started = time.monotonic()
        with path.open("rb") as stream:
            response = await http.post(
                "/v1/imports", files={"file": (path.name, stream)}, data=form
            )
        if response.status_code != 202:
            print(f"refused ({response.status_code}): {response.text}", file=out)
            return 1
        job = response.json()
        while job["status"] not in ("completed", "failed", "cancelled"):
            await asyncio.sleep(POLL_S)
            job = (await http.get(f"/v1/imports/{job['id']}")).json()
            print("\r" + progress_line(job, time.monotonic() - started), end="", file=out)
        print("\n" + summary(job, time.monotonic() - started), file=out)
        counters = job.get("counters") or {}
        if counters.get("failed") or counters.get("skipped"):
            report = path.with_name(path.name + ".errors.csv")
            body = await http.get(f"/v1/imports/{job['id']}/errors?format=csv")
            report.write_bytes(body.content)
            print(f"  error report: {report} ({base_url}{job['errors_url']})", file=out)
        return 0 if job["status"] == "completed" else 1
