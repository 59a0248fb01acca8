"""Runs the import jobs: any job not finished is picked up, by one importer replica at a time
(a lease per job that a dead holder loses after LEASE_TTL), so a job continues after a crash or
a restart. Jobs already read are only checked for completion. Every REPORTS_EVERY_S (and at
start) the error reports of imports ended longer ago than their retention are deleted."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from pymongo.asynchronous.collection import AsyncCollection

from services.importer.domain.commands import (
    DeleteExpiredReports,
    FailImport,
    RunImport,
    SettleImport,
)
from services.importer.service_layer.ports import ImportRepository
from shared.kafka.consumer import TRANSIENT_ERRORS
from shared.logging import get_logger
from shared.mongo.client import Document
from shared.mongo.relay import RelayLease

log = get_logger(__name__)
LEASE_TTL = timedelta(seconds=15)
SCAN_EVERY_S = 2.0
# Runs of one job in a row that end in an unexpected error (not the file's fault: that fails
# the job at once) before the job is failed rather than retried again.
MAX_CRASHES = 5
REPORTS_EVERY_S = 600.0


class ImportWorker:
    def __init__(
        self,
        imports: ImportRepository,
        leases: AsyncCollection[Document],
        handle: Callable[[object], Awaitable[object]],
        *,
        report_retention: timedelta | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """`handle`: the service's bus, which each job's commands go through;
        `report_retention`: how long an ended import's error report is kept (None: for ever)."""
        self._imports = imports
        self._report_retention = report_retention
        self._clock = clock
        self._reports_checked = -REPORTS_EVERY_S
        self._handle = handle
        self._leases = leases
        self._wake = asyncio.Event()
        self._replies = asyncio.Event()
        self._running: dict[str, asyncio.Task[None]] = {}
        self._crashes: dict[str, int] = {}
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        self._wake.set()

    def reply_arrived(self) -> None:
        self._replies.set()

    async def wait_for_reply(self, timeout_s: float) -> None:
        self._replies.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._replies.wait(), timeout=timeout_s)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="import-worker")

    async def stop(self) -> None:
        tasks = [t for t in (self._task, *self._running.values()) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _loop(self) -> None:
        while True:
            try:
                await self._scan()
                await self._delete_expired_reports()
            except Exception as exc:  # the store may be away for a moment; try again
                log.warning("import_scan_failed", error=repr(exc))
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=SCAN_EVERY_S)

    async def _scan(self) -> None:
        for job_id in await self._imports.unfinished():
            if job_id in self._running:
                continue
            job = await self._imports.get(job_id)
            if job is None:
                continue
            if job.reading_done:
                await self._handle(SettleImport(job_id))
                continue
            lease = RelayLease(self._leases, f"import:{job_id}", ttl=LEASE_TTL)
            if await lease.acquire():
                task = asyncio.create_task(self._run(job_id, lease), name=f"import:{job_id}")
                self._running[job_id] = task

    async def _delete_expired_reports(self) -> None:
        now = time.monotonic()
        if self._report_retention is None or now - self._reports_checked < REPORTS_EVERY_S:
            return
        deleted = await self._handle(DeleteExpiredReports(self._clock() - self._report_retention))
        self._reports_checked = now
        if deleted:
            log.info("import_reports_deleted", imports=deleted)

    async def _run(self, job_id: str, lease: RelayLease) -> None:
        renew = asyncio.create_task(self._keep(lease))
        try:
            await self._handle(RunImport(job_id))
            self._crashes.pop(job_id, None)
        except TRANSIENT_ERRORS as exc:  # the store or broker away for a while: just later
            log.warning("import_run_interrupted", import_id=job_id, error=repr(exc))
        except Exception as exc:
            crashes = self._crashes.get(job_id, 0) + 1
            self._crashes[job_id] = crashes
            log.error("import_run_failed", import_id=job_id, error=repr(exc), crashes=crashes)
            if crashes >= MAX_CRASHES:
                self._crashes.pop(job_id, None)
                reason = f"the import stopped on an unexpected error: {type(exc).__name__}"
                with contextlib.suppress(Exception):
                    await self._handle(FailImport(job_id, reason))
        finally:
            renew.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renew
            with contextlib.suppress(Exception):
                await lease.release()
            self._running.pop(job_id, None)

    async def _keep(self, lease: RelayLease) -> None:
        while True:
            await asyncio.sleep(LEASE_TTL.total_seconds() / 3)
            with contextlib.suppress(Exception):
                await lease.acquire()
