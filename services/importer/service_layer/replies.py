"""What the importer does with the contacts and groups services' answers: count each batch
once, report its rows, send the contacts to their groups, and end the job when every batch
is answered. A redelivered answer finds its batch already moved on and changes nothing."""

from __future__ import annotations

from collections import Counter

from services.importer.domain.job import PROGRESS_EVERY
from services.importer.service_layer.jobs import mutate_job
from services.importer.service_layer.pipeline import report_entry
from services.importer.service_layer.unit_of_work import ImportsUnitOfWork
from shared.contracts.imports import (
    ContactRowsImported,
    GroupMembersImported,
    ImportedMember,
    ImportGroupMembers,
)

JOINS_GROUPS = ("created", "updated", "unchanged")


async def on_contact_rows(reply: ContactRowsImported, org_id: str, uow: ImportsUnitOfWork) -> None:
    batch = await uow.imports.batch(reply.import_id, reply.batch)
    if batch is None or batch.get("state") != "sent":
        await settle(reply.import_id, uow)
        return
    cells = await uow.imports.batch_cells(reply.import_id, reply.batch)
    originals, groups = cells["originals"], cells["groups"]
    counters = Counter(batch.get("counters") or {})
    counters.update(row.outcome for row in reply.rows)
    report = [
        report_entry(reply.import_id, row.row, "c", row.model_dump(), originals.get(str(row.row)))
        for row in reply.rows
        if row.outcome in ("failed", "skipped") or row.code
    ]
    await uow.imports.add_report(report)
    members = [
        ImportedMember(row=row.row, contact_id=row.contact_id, groups=groups[str(row.row)])
        for row in reply.rows
        if row.outcome in JOINS_GROUPS
        and row.status == "active"
        and row.contact_id
        and groups.get(str(row.row))
    ]
    command = None
    if members:
        command = ImportGroupMembers(import_id=reply.import_id, batch=reply.batch, members=members)
    await uow.imports.move_batch(
        reply.import_id,
        reply.batch,
        state="groups" if members else "done",
        counters=dict(counters),
        command=command,
        org_id=org_id,
    )
    await settle(reply.import_id, uow)


async def on_group_members(
    reply: GroupMembersImported, org_id: str, uow: ImportsUnitOfWork
) -> None:
    batch = await uow.imports.batch(reply.import_id, reply.batch)
    if batch is None or batch.get("state") != "groups":
        await settle(reply.import_id, uow)
        return
    cells = await uow.imports.batch_cells(reply.import_id, reply.batch)
    report = [
        report_entry(
            reply.import_id,
            refusal.row,
            f"g:{refusal.group}",
            {
                "row": refusal.row,
                "outcome": "not_in_group",
                "column": None,
                "value": refusal.group,
                "code": refusal.code,
                "message": f"not added to {refusal.group}: {refusal.message}",
            },
            cells["originals"].get(str(refusal.row)),
        )
        for refusal in reply.refused
    ]
    await uow.imports.add_report(report)
    await uow.imports.move_batch(reply.import_id, reply.batch, state="done")
    await settle(reply.import_id, uow)


async def settle(import_id: str, uow: ImportsUnitOfWork) -> None:
    """Ends the job once it is read and every batch is answered; else publishes progress
    (at most about once a second)."""
    job = await uow.imports.get(import_id)
    if job is None or job.finished:
        return
    states = await uow.imports.batch_states(import_id)
    counters = await uow.imports.counters(import_id, states)
    now = uow.clock()
    if job.reading_done and all(s.get("state") == "done" for s in states):
        await mutate_job(uow, import_id, lambda j: j.complete(counters, now))
    elif job.progress_at is None or now - job.progress_at >= PROGRESS_EVERY:
        await mutate_job(uow, import_id, lambda j: j.progressed(counters, now))
