"""A whole import in memory, through the bus only: upload, StartImport, RunImport, then the
contacts and groups services' answers as this test makes them up, to `completed`, with the
counters, the report and the events a real run would publish."""

from __future__ import annotations

from shared.contracts.imports import (
    ImportCompleted,
    ImportContactRows,
    ImportCounters,
    ImportGroupMembers,
    ImportStarted,
    NewField,
    RowOutcome,
)
from tests.fakes.importer import (
    FakeImporter,
    contact_id,
    contact_rows_imported,
    csv_file,
    group_members_imported,
    refusal,
)

FILE = csv_file(
    ("name", "phone", "collection", "age"),
    ("Amina", "+254712000001", "Choir", "30"),
    ("Baraka", "", "", "35"),  # no phone: fails in the importer
    ("Chebet", "+254712000003", "", "41"),  # exists: skipped
    ("Dan", "+254712000004", "", "old"),  # refused by the contacts service
    ("Esther", "+254712000005", "", "28"),  # refused by the file's group
    ("Femi", "+254712000006", "", "33"),  # blocked: updated, not in groups
)
# The contacts service's answers, where not "created, active".
CONTACTS_SAY = [
    RowOutcome(row=4, outcome="skipped", contact_id=contact_id(4), status="active",
               code="contact_exists"),
    RowOutcome(row=5, outcome="failed", code="invalid_field_value", column="age", value="old"),
    RowOutcome(row=7, outcome="updated", contact_id=contact_id(7), status="blocked",
               code="contact_blocked"),
]  # fmt: skip
GROUP = "Nairobi parents"


async def answer_contacts(importer: FakeImporter, import_id: str) -> None:
    for command in importer.pending_contact_rows(import_id):
        await importer.deliver(contact_rows_imported(command, exceptions=CONTACTS_SAY))


async def answer_groups_refusing_esther(importer: FakeImporter, import_id: str) -> None:
    for command in importer.pending_group_members(import_id):
        esther = [refusal(m, code="too_many_groups") for m in command.members if m.row == 6]
        await importer.deliver(group_members_imported(command, refused=esther))


async def test_a_file_imports_to_completed_with_its_counters_report_and_events(
    importer: FakeImporter,
) -> None:
    job = await importer.start(FILE, file_name=f"{GROUP}.csv")
    await importer.run(job.id)
    await answer_contacts(importer, job.id)
    await answer_groups_refusing_esther(importer, job.id)

    stored = importer.imports.job(job.id)
    assert (stored.status, stored.error, stored.finished_at) == (
        "completed",
        None,
        importer.clock.now,
    )
    counters = ImportCounters(rows_read=6, created=2, updated=1, skipped=1, failed=2)
    assert await importer.uow.imports.counters(job.id) == counters
    [completed] = importer.imports.published(ImportCompleted, job.id)
    assert (completed.status, completed.total_rows, completed.counters) == (
        "completed",
        6,
        counters,
    )
    events = importer.imports.event_types(job.id)
    assert (events[0], events[-1], events.count("ImportCompleted")) == (
        "ImportStarted",
        "ImportCompleted",
        1,
    )
    assert importer.imports.published(ImportStarted, job.id)[0].total_rows == 6

    sent_rows = importer.imports.published(ImportContactRows, job.id)
    assert [[r.row for r in c.rows] for c in sent_rows] == [[2], [4, 5], [6, 7]]
    assert {tuple(c.create_fields) for c in sent_rows} == {
        (NewField(key="age", label="age", type="text"),)
    }
    members = [m for c in importer.imports.published(ImportGroupMembers, job.id) for m in c.members]
    assert [(m.row, m.contact_id, m.groups) for m in members] == [
        (2, contact_id(2), ["Choir", GROUP]),
        (6, contact_id(6), [GROUP]),
    ]

    report = importer.imports.report(job.id)
    assert [(e["row"], e["outcome"], e["code"] is not None) for e in report] == [
        (3, "failed", True),
        (4, "skipped", True),
        (5, "failed", True),
        (6, "not_in_group", True),
        (7, "updated", True),
    ]
    assert report[2]["original"] == ["Dan", "+254712000004", "", "old"]
    assert report[3]["original"] == ["Esther", "+254712000005", "", "28"]

    assert {b["state"] for b in importer.imports.batches(job.id)} == {"done"}
    assert (importer.runner.wakes, importer.runner.replies) == (1, 5)
