"""RunImport: the worker validates a queued job, then reads its file into batches, each stored
with the ImportContactRows command it sends, never more than `max_in_flight` unanswered, and
resumes after the last stored batch so that no row is sent twice."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from services.importer.domain.job import ImportOptions
from services.importer.service_layer import pipeline
from shared.contracts.imports import ImportCompleted, ImportContactRows, ImportStarted, NewField
from tests.fakes.importer import (
    ADMIN,
    OTHER_ORG_ADMIN,
    T0,
    FakeImporter,
    WorkerKilled,
    csv_file,
    fake_importer,
    group_members_imported,
    kill_the_worker,
    people,
    rows_of,
)


def sent(importer: FakeImporter, import_id: str) -> list[ImportContactRows]:
    return importer.imports.published(ImportContactRows, import_id)


async def test_validation_starts_the_import_with_what_it_found(importer: FakeImporter) -> None:
    job = await importer.start(people(5), file_name="people.csv")

    await importer.run(job.id)

    stored = importer.imports.job(job.id)
    assert (stored.status, stored.started_at, stored.reading_done) == ("importing", T0, True)
    assert stored.detected is not None
    assert stored.detected.mapping == {"name": "name", "phone": "phone"}
    [started] = importer.imports.published(ImportStarted, job.id)
    assert (started.total_rows, started.file_name, started.mode) == (5, "people.csv", "create")
    assert importer.imports.event_types(job.id)[0] == "ImportStarted"


async def test_the_file_is_sent_in_batches_of_batch_rows(importer: FakeImporter) -> None:
    options = ImportOptions(mode="upsert", opt_in=True, default_country="KE")
    job = await importer.start(people(5), options=options)

    await importer.run(job.id)

    commands = sent(importer, job.id)
    assert [c.batch for c in commands] == [1, 2, 3]
    assert [[r.row for r in c.rows] for c in commands] == [[2, 3], [4, 5], [6]]
    assert {(c.mode, c.opt_in, c.default_country) for c in commands} == {("upsert", True, "KE")}
    assert commands[0].rows[0].phone == "+254712000001"
    assert commands[0].rows[0].attributes == {"name": "Person 0"}
    batches = importer.imports.batches(job.id)
    assert [(b["n"], b["state"], b["last_row"]) for b in batches] == [
        (1, "sent", 3),
        (2, "sent", 5),
        (3, "sent", 6),
    ]
    assert (await importer.uow.imports.counters(job.id)).rows_read == 5


async def test_new_fields_travel_with_every_batch(importer: FakeImporter) -> None:
    """Another organisation's `age` field is no reason to leave it out."""
    importer.directory.seed(OTHER_ORG_ADMIN.org_id, fields={"age": "number"})
    job = await importer.start(
        csv_file(("phone", "age"), *((f"+25471200000{i}", "3") for i in range(3)))
    )

    await importer.run(job.id)

    new = [NewField(key="age", label="age", type="number")]
    assert [c.create_fields for c in sent(importer, job.id)] == [new, new]
    detected = importer.imports.job(job.id).detected
    assert detected is not None
    assert detected.new_fields == {"age": {"label": "age", "type": "number"}}


async def test_without_create_fields_columns_of_unknown_fields_are_left_out(
    importer: FakeImporter,
) -> None:
    importer.directory.seed(ADMIN.org_id, fields={"age": "number"})
    file = csv_file(("phone", "age", "shoe size"), ("+254712000001", "30", "42"))
    job = await importer.start(file, options=ImportOptions(create_fields=False))

    await importer.run(job.id)

    [command] = sent(importer, job.id)
    assert command.create_fields == []
    assert command.rows[0].fields == {"age": "30"}


async def test_the_reader_waits_for_replies_while_max_in_flight_batches_are_unanswered(
    tmp_path: Path,
) -> None:
    importer = fake_importer(tmp_path, max_in_flight=2)
    job = await importer.start(people(10))
    unanswered_at_each_wait: list[int] = []

    async def answer_the_oldest() -> None:
        unanswered_at_each_wait.append(len(importer.pending_contact_rows(job.id)))
        await importer.answer_oldest_batch()

    importer.runner.respond = answer_the_oldest
    await importer.run(job.id)

    assert unanswered_at_each_wait == [2, 2, 2]  # before batches 3, 4 and 5
    assert rows_of(sent(importer, job.id)) == list(range(2, 12))
    assert len(importer.pending_contact_rows(job.id)) == 2


@pytest.mark.parametrize("names_a_group", [False, True])
async def test_a_first_batch_naming_groups_is_answered_by_both_services_before_the_next(
    tmp_path: Path, names_a_group: bool
) -> None:
    importer = fake_importer(tmp_path, max_in_flight=4, first_batch_alone=True)
    job = await importer.start(people(6), add_to_file_group=names_a_group)
    waits: list[tuple[int, int]] = []

    async def answer_one_service_at_a_time() -> None:
        groups_pending = importer.pending_group_members(job.id)
        waits.append((len(sent(importer, job.id)), len(groups_pending)))
        if importer.pending_contact_rows(job.id):
            await importer.answer_oldest_batch()
        for members in groups_pending:
            await importer.deliver(group_members_imported(members))

    importer.runner.respond = answer_one_service_at_a_time
    await importer.run(job.id)

    assert [c.batch for c in sent(importer, job.id)] == [1, 2, 3]
    # A file naming no group sends its batches at once; one naming groups waits after its
    # first batch until the contacts service and then the groups service answered it.
    assert waits == ([(1, 0), (1, 1)] if names_a_group else [])


async def test_the_reader_waits_while_max_unfinished_batches_wait_for_either_service(
    tmp_path: Path,
) -> None:
    """The contacts service answers at once; the groups service only when asked: the reader
    keeps at most `max_unfinished` batches waiting for it, whatever `max_in_flight` allows."""
    importer = fake_importer(tmp_path, max_in_flight=4, max_unfinished=3)
    job = await importer.start(people(12), add_to_file_group=True)
    unfinished_at_each_wait: list[tuple[int, int]] = []

    async def contacts_at_once_groups_when_full() -> None:
        while importer.pending_contact_rows(job.id):
            await importer.answer_oldest_batch()
        behind = importer.pending_group_members(job.id)
        unfinished_at_each_wait.append((len(sent(importer, job.id)), len(behind)))
        if len(behind) >= 3:
            await importer.deliver(group_members_imported(behind[0]))

    importer.runner.respond = contacts_at_once_groups_when_full
    await importer.run(job.id)

    # Batches 4, 5 and 6 each wait for the groups service to finish one more batch, although
    # the contacts service has answered every batch sent.
    assert unfinished_at_each_wait == [(3, 3), (4, 3), (5, 3)]
    assert [c.batch for c in sent(importer, job.id)] == [1, 2, 3, 4, 5, 6]


async def test_a_killed_reader_resumes_after_the_last_stored_batch(tmp_path: Path) -> None:
    importer = fake_importer(tmp_path, max_in_flight=1)
    job = await importer.start(people(6))
    importer.runner.respond = kill_the_worker
    with pytest.raises(WorkerKilled):
        await importer.run(job.id)
    assert rows_of(sent(importer, job.id)) == [2, 3]
    await importer.answer_oldest_batch()  # answered while the importer was down

    importer.runner.respond = importer.answer_oldest_batch
    await importer.run(job.id)

    assert rows_of(sent(importer, job.id)) == [2, 3, 4, 5, 6, 7]  # each row once
    assert [c.batch for c in sent(importer, job.id)] == [1, 2, 3]
    assert len(importer.imports.published(ImportStarted, job.id)) == 1


async def test_running_a_job_already_read_sends_nothing_more(importer: FakeImporter) -> None:
    job = await importer.start(people(3))
    await importer.run(job.id)
    outbox = list(importer.imports.outbox)

    await importer.run(job.id)

    assert importer.imports.outbox == outbox


def _over_max_rows(importer: FakeImporter, import_id: str) -> None:
    importer.files.put(import_id, people(importer.uow.max_rows + 1))


def _emptied(importer: FakeImporter, import_id: str) -> None:
    importer.files.put(import_id, b"")


@pytest.mark.parametrize("spoil", [_over_max_rows, _emptied], ids=["over-max-rows", "emptied"])
async def test_a_file_that_fails_validation_fails_the_job(
    tmp_path: Path, spoil: Callable[[FakeImporter, str], None]
) -> None:
    """Rather than crash the worker on every scan."""
    importer = fake_importer(tmp_path, max_rows=3)
    job = await importer.start(people(1))
    spoil(importer, job.id)

    await importer.run(job.id)

    stored = importer.imports.job(job.id)
    assert stored.status == "failed"
    assert stored.error
    assert importer.imports.event_types(job.id) == ["ImportCompleted"]
    [completed] = importer.imports.published(ImportCompleted, job.id)
    assert (completed.status, completed.error) == ("failed", stored.error)
    assert importer.imports.batches(job.id) == []


async def test_rows_that_fail_in_the_file_are_reported_with_their_original_cells(
    importer: FakeImporter,
) -> None:
    file = csv_file(
        ("name", "phone", "opt_in"),
        ("Amina", "+254712000001", "yes"),
        ("Baraka", "", "yes"),
        ("Chebet", "+254712000003", "maybe"),
        ("Dan", "+254712000004", "no"),
    )
    job = await importer.start(file)

    await importer.run(job.id)

    assert rows_of(sent(importer, job.id)) == [2, 5]
    report = importer.imports.report(job.id)
    assert [(e["row"], e["outcome"], e["original"]) for e in report] == [
        (3, "failed", ["Baraka", "", "yes"]),
        (4, "failed", ["Chebet", "+254712000003", "maybe"]),
    ]
    assert all(e["code"] for e in report)
    counters = await importer.uow.imports.counters(job.id)
    assert (counters.rows_read, counters.failed) == (4, 2)


async def test_a_batch_of_failing_rows_sends_nothing_and_is_done(importer: FakeImporter) -> None:
    file = csv_file(("name", "phone"), ("Amina", ""), ("Baraka", ""), ("Chebet", "+254712000003"))
    job = await importer.start(file)

    await importer.run(job.id)

    assert [c.batch for c in sent(importer, job.id)] == [2]
    assert [b["state"] for b in importer.imports.batches(job.id)] == ["done", "sent"]


async def test_blank_rows_are_skipped_and_rows_keep_their_numbers_in_the_file(
    importer: FakeImporter,
) -> None:
    file = csv_file(
        ("name", "phone"), ("Amina", "+254712000001"), ("", ""), ("Chebet", "+254712000003")
    )
    job = await importer.start(file)

    await importer.run(job.id)

    assert rows_of(sent(importer, job.id)) == [2, 4]
    assert (await importer.uow.imports.counters(job.id)).rows_read == 2


async def test_a_batch_is_cut_when_its_commands_would_grow_too_large(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Commands stay under Kafka's record limit, however wide the rows."""
    monkeypatch.setattr(pipeline, "MAX_BATCH_BYTES", 400)
    importer = fake_importer(tmp_path, batch_rows=10)
    file = csv_file(("name", "phone"), *((f"{i}" * 100, f"+25471200000{i}") for i in range(5)))
    job = await importer.start(file)

    await importer.run(job.id)

    assert [[r.row for r in c.rows] for c in sent(importer, job.id)] == [[2, 3], [4, 5], [6]]
