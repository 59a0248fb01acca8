"""The contacts and groups services' answers to a job's batches (ContactRowsImported,
GroupMembersImported), as they arrive from Kafka: each batch counted once however often its
answer is delivered, every row that did not fully succeed reported with its original cells,
active contacts sent on to their groups, and the worker told that there is room again."""

from __future__ import annotations

import pytest

from services.importer.domain.job import ImportOptions
from shared.contracts.contacts import ContactStatusName
from shared.contracts.imports import (
    ContactRowsImported,
    GroupMembersImported,
    ImportCompleted,
    ImportContactRows,
    ImportCounters,
    ImportGroupMembers,
    RowOutcome,
    RowOutcomeName,
)
from tests.fakes.importer import (
    FakeImporter,
    contact_id,
    contact_rows_imported,
    csv_file,
    group_members_imported,
    refusal,
)

# Upsert: no group named after the file, so only rows naming groups have any.
UPSERT = ImportOptions(mode="upsert")
CHOIRS = csv_file(
    ("name", "phone", "collection"),
    ("Amina", "+254712000001", "Parents, Choir"),
    ("Baraka", "+254712000002", ""),
    ("Chebet", "+254712000003", "Choir"),
    ("Dan", "+254712000004", ""),
)


def outcome(
    row: int,
    name: RowOutcomeName,
    status: ContactStatusName | None = "active",
    *,
    code: str | None = None,
    column: str | None = None,
    value: str | None = None,
) -> RowOutcome:
    return RowOutcome(
        row=row,
        outcome=name,
        contact_id=contact_id(row) if status else None,
        status=status,
        code=code,
        column=column,
        value=value,
    )


def batch(importer: FakeImporter, import_id: str, n: int) -> ImportContactRows:
    [command] = [
        c for c in importer.imports.published(ImportContactRows, import_id) if c.batch == n
    ]
    return command


def members_sent(importer: FakeImporter, import_id: str) -> dict[int, list[str]]:
    """Row → groups, over every ImportGroupMembers the job sent."""
    return {
        m.row: m.groups
        for command in importer.imports.published(ImportGroupMembers, import_id)
        for m in command.members
    }


# ---------------------------------------------------------------------------------------------
# ContactRowsImported
# ---------------------------------------------------------------------------------------------


async def test_a_batch_is_counted_once_however_often_its_answer_arrives(
    importer: FakeImporter,
) -> None:
    job_id = await importer.start_and_read(CHOIRS, options=UPSERT)
    reply = contact_rows_imported(batch(importer, job_id, 1), exceptions=[outcome(3, "updated")])

    await importer.deliver(reply)
    after_first = (list(importer.imports.outbox), importer.imports.report(job_id))
    await importer.deliver(reply)

    assert await importer.uow.imports.counters(job_id) == ImportCounters(
        rows_read=4, created=1, updated=1
    )
    assert (list(importer.imports.outbox), importer.imports.report(job_id)) == after_first
    assert importer.runner.replies == 2  # told both times: the reader may be waiting


async def test_rows_that_failed_were_skipped_or_carry_a_note_are_reported_with_their_cells(
    importer: FakeImporter,
) -> None:
    job_id = await importer.start_and_read(CHOIRS, options=UPSERT)

    await importer.deliver(
        contact_rows_imported(
            batch(importer, job_id, 1),
            exceptions=[
                outcome(2, "failed", None, code="invalid_value", column="name", value="Amina"),
                outcome(3, "skipped", code="contact_exists"),
            ],
        )
    )
    await importer.deliver(
        contact_rows_imported(
            batch(importer, job_id, 2), exceptions=[outcome(4, "updated", "blocked", code="n")]
        )
    )

    report = importer.imports.report(job_id)
    assert [(e["row"], e["outcome"], e["code"]) for e in report] == [
        (2, "failed", "invalid_value"),
        (3, "skipped", "contact_exists"),
        (4, "updated", "n"),
    ]
    assert report[0]["column"] == "name"
    assert report[0]["original"] == ["Amina", "+254712000001", "Parents, Choir"]
    assert report[2]["original"] == ["Chebet", "+254712000003", "Choir"]


@pytest.mark.parametrize(
    ("name", "status", "joins"),
    [
        ("created", "active", True),
        ("updated", "active", True),
        ("unchanged", "active", True),
        ("skipped", "active", False),
        ("failed", None, False),
        ("updated", "blocked", False),
        ("unchanged", "stopped", False),
        ("updated", "archived", False),
    ],
)
async def test_only_active_contacts_imported_from_a_row_with_groups_join_them(
    importer: FakeImporter, name: RowOutcomeName, status: ContactStatusName | None, joins: bool
) -> None:
    job_id = await importer.start_and_read(CHOIRS, options=UPSERT)

    await importer.deliver(
        contact_rows_imported(batch(importer, job_id, 1), exceptions=[outcome(2, name, status)])
    )

    assert members_sent(importer, job_id) == ({2: ["Parents", "Choir"]} if joins else {})


async def test_the_imports_group_is_added_to_each_rows_own(importer: FakeImporter) -> None:
    job_id = await importer.start_and_read(CHOIRS, options=ImportOptions(group="Kisumu"))

    await importer.deliver(contact_rows_imported(batch(importer, job_id, 1)))

    [command] = importer.imports.published(ImportGroupMembers, job_id)
    assert [(m.row, m.contact_id, m.groups) for m in command.members] == [
        (2, contact_id(2), ["Parents", "Choir", "Kisumu"]),
        (3, contact_id(3), ["Kisumu"]),
    ]
    assert command.batch == 1


async def test_the_contacts_service_is_sent_each_rows_groups_with_the_imports_group(
    importer: FakeImporter,
) -> None:
    """It creates a new contact in those of them it knows."""
    job_id = await importer.start_and_read(CHOIRS, options=ImportOptions(group="Kisumu"))

    rows = batch(importer, job_id, 1).rows
    assert [(r.row, r.groups) for r in rows] == [
        (2, ["Parents", "Choir", "Kisumu"]),
        (3, ["Kisumu"]),
    ]
    assert [(r.row, r.groups) for r in batch(importer, job_id, 2).rows] == [
        (4, ["Choir", "Kisumu"]),
        (5, ["Kisumu"]),
    ]


async def test_the_groups_a_contact_was_created_in_are_passed_to_the_groups_service(
    importer: FakeImporter,
) -> None:
    job_id = await importer.start_and_read(CHOIRS, options=UPSERT)
    created = outcome(2, "created").model_copy(update={"groups": ["group-parents"]})

    await importer.deliver(contact_rows_imported(batch(importer, job_id, 1), exceptions=[created]))

    [command] = importer.imports.published(ImportGroupMembers, job_id)
    assert [(m.row, m.groups, m.entered) for m in command.members] == [
        (2, ["Parents", "Choir"], ["group-parents"]),
    ]


async def test_a_batch_waits_for_the_groups_service_only_when_it_sent_it_members(
    importer: FakeImporter,
) -> None:
    """A done batch's cells are dropped; a batch waiting for groups keeps them for the report."""
    job_id = await importer.start_and_read(CHOIRS, options=UPSERT)

    await importer.deliver(contact_rows_imported(batch(importer, job_id, 1)))
    await importer.deliver(contact_rows_imported(batch(importer, job_id, 2), status="blocked"))

    assert [b["state"] for b in importer.imports.batches(job_id)] == ["groups", "done"]
    assert members_sent(importer, job_id) == {2: ["Parents", "Choir"]}
    assert (await importer.uow.imports.batch_cells(job_id, 1))["originals"]
    assert await importer.uow.imports.batch_cells(job_id, 2) == {"originals": {}, "groups": {}}


async def test_an_answer_to_a_batch_never_sent_changes_nothing(importer: FakeImporter) -> None:
    job_id = await importer.start_and_read(CHOIRS, options=UPSERT)
    stranger = ContactRowsImported(import_id=job_id, batch=9, rows=[outcome(2, "created")])
    outbox = list(importer.imports.outbox)

    await importer.deliver(stranger)

    assert importer.imports.outbox == outbox
    assert await importer.uow.imports.counters(job_id) == ImportCounters(rows_read=4)
    assert importer.runner.replies == 1


# ---------------------------------------------------------------------------------------------
# GroupMembersImported
# ---------------------------------------------------------------------------------------------


async def answered_contacts(importer: FakeImporter) -> str:
    """A job whose first batch the contacts service answered, its members sent to groups."""
    job_id = await importer.start_and_read(CHOIRS, options=ImportOptions(group="Kisumu"))
    await importer.deliver(contact_rows_imported(batch(importer, job_id, 1)))
    return job_id


async def test_refused_memberships_are_reported_by_row_and_group(importer: FakeImporter) -> None:
    job_id = await answered_contacts(importer)
    [command] = importer.pending_group_members(job_id)
    amina = command.members[0]
    twice = refusal(amina, code="contact_blocked").model_copy(update={"group": "Kisumu"})

    await importer.deliver(
        group_members_imported(command, refused=[refusal(amina, code="contact_blocked"), twice])
    )

    report = importer.imports.report(job_id)
    assert {(e["row"], e["outcome"], e["value"], e["code"]) for e in report} == {
        (2, "not_in_group", "Parents", "contact_blocked"),
        (2, "not_in_group", "Kisumu", "contact_blocked"),
    }
    assert {tuple(e["original"]) for e in report} == {("Amina", "+254712000001", "Parents, Choir")}


async def test_a_batch_answered_by_the_groups_service_is_done(importer: FakeImporter) -> None:
    job_id = await answered_contacts(importer)
    [command] = importer.pending_group_members(job_id)

    await importer.deliver(group_members_imported(command))

    assert [b["state"] for b in importer.imports.batches(job_id)] == ["done", "sent"]
    assert await importer.uow.imports.counters(job_id) == ImportCounters(rows_read=4, created=2)
    assert importer.runner.replies == 2


async def test_the_last_answer_completes_the_job(importer: FakeImporter) -> None:
    job_id = await answered_contacts(importer)
    await importer.deliver(contact_rows_imported(batch(importer, job_id, 2)))
    first, second = importer.pending_group_members(job_id)
    await importer.deliver(group_members_imported(first))
    assert importer.imports.job(job_id).status == "importing"

    await importer.deliver(group_members_imported(second))

    assert importer.imports.job(job_id).status == "completed"
    [completed] = importer.imports.published(ImportCompleted, job_id)
    assert completed.counters == ImportCounters(rows_read=4, created=4)


async def test_a_groups_answer_before_the_contacts_answer_changes_nothing(
    importer: FakeImporter,
) -> None:
    job_id = await importer.start_and_read(CHOIRS, options=UPSERT)
    early = GroupMembersImported(import_id=job_id, batch=1, groups={})

    await importer.deliver(early)

    assert [b["state"] for b in importer.imports.batches(job_id)] == ["sent", "sent"]


async def test_a_redelivered_groups_answer_changes_nothing(importer: FakeImporter) -> None:
    job_id = await answered_contacts(importer)
    [command] = importer.pending_group_members(job_id)
    reply = group_members_imported(command, refused=[refusal(command.members[0])])
    await importer.deliver(reply)
    after_first = (list(importer.imports.outbox), importer.imports.report(job_id))

    await importer.deliver(reply)

    assert (list(importer.imports.outbox), importer.imports.report(job_id)) == after_first
    assert [b["state"] for b in importer.imports.batches(job_id)] == ["done", "sent"]
