"""StartImport: a file that can never import is refused before it becomes a job (the caller
gets the error in its answer, not a failed job later); a good one becomes a queued job and
wakes the worker."""

from __future__ import annotations

import pytest

from services.importer.domain.job import ImportOptions
from shared.errors import DomainError
from tests.fakes.importer import ADMIN, T0, FakeImporter, csv_file, people


async def test_a_readable_file_with_a_phone_column_becomes_a_queued_job(
    importer: FakeImporter,
) -> None:
    options = ImportOptions(mode="upsert", opt_in=True, default_country="KE")

    job = await importer.start(people(3), file_name="people.csv", options=options)

    stored = importer.imports.job(job.id)
    assert (stored.status, stored.org_id, stored.created_by) == (
        "queued",
        ADMIN.org_id,
        ADMIN.actor,
    )
    assert (stored.file_name, stored.file_format, stored.created_at) == ("people.csv", "csv", T0)
    assert stored.options == options
    assert importer.runner.wakes == 1


async def test_a_job_publishes_nothing_before_it_is_validated(importer: FakeImporter) -> None:
    """ImportStarted carries the row count, which only validation knows."""
    job = await importer.start(people(3))

    assert importer.imports.event_types(job.id) == []


@pytest.mark.parametrize(
    ("content", "mapping", "code"),
    [
        pytest.param(b"", {}, "unreadable_file", id="empty"),
        pytest.param(b"PK\x03\x04 not a workbook", {}, "unreadable_file", id="broken-xlsx"),
        pytest.param(csv_file(("name", "city"), ("Amina", "Kisumu")), {}, "invalid_mapping",
                     id="no-phone-column"),
        pytest.param(people(1), {"Mobile": "phone"}, "invalid_mapping",
                     id="mapping-unknown-column"),
        pytest.param(people(1), {"name": "nickname"}, "invalid_mapping", id="mapping-bad-target"),
        pytest.param(csv_file(("phone", "mobile"), ("+254712000001", "+254712000002")), {},
                     "invalid_mapping", id="two-phone-columns"),
    ],
)  # fmt: skip
async def test_a_file_that_cannot_import_is_refused_before_it_becomes_a_job(
    importer: FakeImporter, content: str | bytes, mapping: dict[str, str], code: str
) -> None:
    with pytest.raises(DomainError) as refused:
        await importer.start(content, options=ImportOptions(mapping=mapping))

    assert refused.value.code == code
    assert importer.imports.job_ids() == []
    assert importer.runner.wakes == 0


async def test_a_plain_import_without_a_group_gets_a_group_named_after_the_file(
    importer: FakeImporter,
) -> None:
    job = await importer.start(people(1), file_name="Nairobi parents.csv")

    assert importer.imports.job(job.id).options.group == "Nairobi parents"


async def test_the_file_group_name_is_cut_to_what_a_group_name_may_be(
    importer: FakeImporter,
) -> None:
    job = await importer.start(people(1), file_name="x" * 80 + ".csv")

    assert importer.imports.job(job.id).options.group == "x" * 64


@pytest.mark.parametrize(
    ("options", "add_to_file_group", "group"),
    [
        pytest.param(ImportOptions(group="Volunteers"), True, "Volunteers", id="group-named"),
        pytest.param(ImportOptions(mode="upsert"), True, None, id="upsert"),
        pytest.param(ImportOptions(), False, None, id="no_group"),
    ],
)
async def test_no_file_group_when_a_group_is_named_or_it_is_not_a_plain_import(
    importer: FakeImporter, options: ImportOptions, add_to_file_group: bool, group: str | None
) -> None:
    job = await importer.start(
        people(1), file_name="people.csv", options=options, add_to_file_group=add_to_file_group
    )

    assert importer.imports.job(job.id).options.group == group
