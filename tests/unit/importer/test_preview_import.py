"""PreviewImport: what an import of this file would do, before any job exists: the mapping,
the first rows as they would be sent (phones normalized the way the contacts service will),
the fields it would create, and the problems in the first rows."""

from __future__ import annotations

from typing import Any

import pytest

from services.importer.domain.commands import PreviewImport
from services.importer.domain.job import ImportOptions
from services.importer.service_layer.handlers import PREVIEW_ROWS
from tests.fakes.importer import ADMIN, FakeImporter, csv_file, people

MIXED = csv_file(
    ("Name", "Mobile", "Age", "Joined", "District", "Contact UUID"),
    ("Amina", "0712 345 678", "18", "2024-01-02", "Kisumu", "u-1"),
    ("Baraka", "", "25", "2024-02-03", "", "u-2"),
    ("Chebet", "+254 712 345 678", "30", "2024-03-04", "Nakuru", "u-3"),
    ("Dan", "12", "41", "2024-04-05", "Nyeri", "u-4"),
    ("Esther", "0722 000 000", "52", "2024-05-06", "Meru", "u-5"),
)


async def preview(
    importer: FakeImporter, content: str, options: ImportOptions | None = None
) -> dict[str, Any]:
    result: dict[str, Any] = await importer.bus.handle(
        PreviewImport(
            by=ADMIN, import_id=importer.upload(content), options=options or ImportOptions()
        )
    )
    return result


@pytest.fixture
def kenyan_org(importer: FakeImporter) -> FakeImporter:
    importer.directory.seed(ADMIN.org_id, default_country="KE", fields={"district": "text"})
    return importer


async def test_the_mapping_is_detected_from_the_headers(kenyan_org: FakeImporter) -> None:
    result = await preview(kenyan_org, MIXED)

    assert result["mapping"] == {
        "Name": "name",
        "Mobile": "phone",
        "Age": "field:age",
        "Joined": "field:joined",
        "District": "field:district",
        "Contact UUID": "ignore",
    }
    assert result["format"]["kind"] == "csv"


async def test_an_explicit_mapping_overrides_detection(kenyan_org: FakeImporter) -> None:
    result = await preview(kenyan_org, MIXED, ImportOptions(mapping={"Age": "ignore"}))

    assert result["mapping"]["Age"] == "ignore"
    assert "age" not in result["new_fields"]


async def test_rows_show_phones_normalized_with_the_organisations_country(
    kenyan_org: FakeImporter,
) -> None:
    result = await preview(kenyan_org, MIXED)

    assert [(r["row"], r["phone"]) for r in result["rows"]] == [
        (2, "+254712345678"),
        (6, "+254722000000"),
    ]
    assert result["rows"][0]["attributes"] == {"name": "Amina"}
    assert result["rows"][0]["fields"]["age"] == "18"


@pytest.mark.parametrize(
    ("org_country", "option_country", "typed", "phone"),
    [
        pytest.param("KE", None, "0712 345 678", "+254712345678", id="org-country"),
        pytest.param("KE", "NG", "0803 123 4567", "+2348031234567", id="option-overrides"),
        pytest.param(None, "NG", "0803 123 4567", "+2348031234567", id="option-only"),
    ],
)
async def test_the_imports_default_country_wins_over_the_organisations(
    importer: FakeImporter, org_country: str | None, option_country: str | None, typed: str,
    phone: str,
) -> None:  # fmt: skip
    importer.directory.seed(ADMIN.org_id, default_country=org_country)

    result = await preview(
        importer,
        csv_file(("name", "phone"), ("Amina", typed)),
        ImportOptions(default_country=option_country),
    )

    assert [r["phone"] for r in result["rows"]] == [phone]


async def test_a_national_number_without_any_default_country_is_a_problem(
    importer: FakeImporter,
) -> None:
    result = await preview(importer, csv_file(("name", "phone"), ("Amina", "0712 345 678")))

    assert result["rows"] == []
    assert [(e["row"], e["code"]) for e in result["errors"]] == [(2, "invalid_phone")]


async def test_new_fields_are_listed_with_the_type_their_values_suggest(
    kenyan_org: FakeImporter,
) -> None:
    """`district` is already a field of the organisation: not new."""
    result = await preview(kenyan_org, MIXED)

    assert result["new_fields"] == {
        "age": {"label": "Age", "type": "number"},
        "joined": {"label": "Joined", "type": "datetime"},
    }


async def test_problems_in_the_first_rows_are_listed_by_row(kenyan_org: FakeImporter) -> None:
    result = await preview(kenyan_org, MIXED)

    problems = {e["row"]: e for e in result["errors"]}
    assert sorted(problems) == [3, 4, 5]  # no phone; Amina's phone again; not a phone
    assert problems[4]["code"] == "duplicate_in_file"
    assert problems[4]["value"] == "+254 712 345 678"
    assert problems[5]["code"] == "invalid_phone"
    assert all(e["code"] for e in result["errors"])
    assert result["sample"] == {"rows": 5, "ok": 2, "failed": 3}


async def test_at_most_preview_rows_rows_are_shown_but_all_are_checked(
    importer: FakeImporter,
) -> None:
    result = await preview(importer, people(PREVIEW_ROWS + 5))

    assert len(result["rows"]) == PREVIEW_ROWS
    assert result["sample"] == {"rows": PREVIEW_ROWS + 5, "ok": PREVIEW_ROWS + 5}


async def test_a_preview_creates_no_job_and_publishes_nothing(kenyan_org: FakeImporter) -> None:
    await preview(kenyan_org, MIXED)

    assert kenyan_org.imports.job_ids() == []
    assert kenyan_org.imports.outbox == []
    assert kenyan_org.runner.wakes == 0
