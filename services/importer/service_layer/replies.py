"""What the importer does with what it consumes: the contacts and groups services' answers
(count each batch once, report its rows, send the contacts to their groups, and end the job
when every batch is answered; a redelivered answer finds its batch already moved on and
changes nothing), and organisations' settings and fields into its directory."""

from __future__ import annotations

from collections import Counter

from services.importer.service_layer.jobs import settle
from services.importer.service_layer.metrics import IMPORT_ROWS
from services.importer.service_layer.pipeline import report_entry
from services.importer.service_layer.ports import ImportRunner
from services.importer.service_layer.unit_of_work import ImportsUnitOfWork
from shared.contracts.contacts import FieldChanged, FieldDefined, FieldDeleted
from shared.contracts.imports import (
    ContactRowsImported,
    GroupMembersImported,
    ImportedMember,
    ImportGroupMembers,
)
from shared.contracts.organizations import OrganizationUpdated
from shared.messagebus import Received

JOINS_GROUPS = ("created", "updated", "unchanged")


async def on_contact_rows(
    event: Received[ContactRowsImported], uow: ImportsUnitOfWork, runner: ImportRunner
) -> None:
    reply, org_id = event.payload, event.org_id
    await _contact_rows(reply, org_id, uow)
    runner.reply_arrived()


async def _contact_rows(reply: ContactRowsImported, org_id: str, uow: ImportsUnitOfWork) -> None:
    batch = await uow.imports.batch(reply.import_id, reply.batch)
    if batch is None or batch.get("state") != "sent":
        await settle(reply.import_id, uow)
        return
    reported = [row for row in reply.rows if row.outcome in ("failed", "skipped") or row.code]
    cells = await uow.imports.batch_cells(
        reply.import_id, reply.batch, originals_of={row.row for row in reported}
    )
    originals, groups = cells["originals"], cells["groups"]
    counters = Counter(batch.get("counters") or {})
    counters.update(row.outcome for row in reply.rows)
    report = [
        report_entry(reply.import_id, row.row, "c", row.model_dump(), originals.get(row.row))
        for row in reported
    ]
    await uow.imports.add_report(report)
    members = [
        ImportedMember(
            row=row.row, contact_id=row.contact_id, groups=groups[row.row], entered=row.groups
        )
        for row in reply.rows
        if row.outcome in JOINS_GROUPS
        and row.status == "active"
        and row.contact_id
        and groups.get(row.row)
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
    for outcome, rows in Counter(row.outcome for row in reply.rows).items():
        IMPORT_ROWS.labels(outcome).inc(rows)
    await settle(reply.import_id, uow)


async def on_group_members(
    event: Received[GroupMembersImported], uow: ImportsUnitOfWork, runner: ImportRunner
) -> None:
    await _group_members(event.payload, uow)
    runner.reply_arrived()


async def _group_members(reply: GroupMembersImported, uow: ImportsUnitOfWork) -> None:
    batch = await uow.imports.batch(reply.import_id, reply.batch)
    if batch is None or batch.get("state") != "groups":
        await settle(reply.import_id, uow)
        return
    cells = await uow.imports.batch_cells(
        reply.import_id, reply.batch, originals_of={refusal.row for refusal in reply.refused}
    )
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
            cells["originals"].get(refusal.row),
        )
        for refusal in reply.refused
    ]
    await uow.imports.add_report(report)
    await uow.imports.move_batch(reply.import_id, reply.batch, state="done")
    await settle(reply.import_id, uow)


async def apply_organization_settings(
    event: Received[OrganizationUpdated], uow: ImportsUnitOfWork
) -> None:
    country = event.payload.default_country
    await uow.directory.apply_settings(event.org_id, event.ordered_sequence, country)


async def apply_field(
    event: Received[FieldDefined] | Received[FieldChanged] | Received[FieldDeleted],
    uow: ImportsUnitOfWork,
) -> None:
    field = event.payload
    kind = None if isinstance(field, FieldDeleted) else field.type
    await uow.directory.apply_field(event.org_id, field.key, event.ordered_sequence, kind)
