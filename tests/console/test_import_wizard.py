"""Acceptance 3 and 5 of the console: a CSV through the import wizard, with a column whose
meaning the admin changes (the importer took "Cell" for a new field; it is the phone): the
preview reads it again, the import's progress reaches completed, and the error report downloads
and names the bad rows. Every screen passes axe-core."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from playwright.async_api import expect

from tests.console.conftest import ConsoleStack
from tests.support.console import Organization, Screen, read_download, sign_in

ROWS = [
    ("Full name", "Cell", "District"),
    ("Amina Yusuf", "+254712000021", "Kano"),
    ("Baraka Otieno", "12ab", "Kano"),  # not a phone number: row 3
    ("Chidi Okafor", "+254712000023", "Lagos"),
    ("Dede Mensah", "", "Accra"),  # no phone at all: row 5
    ("Esi Owusu", "+254712000025", "Accra"),
]


async def test_import_a_csv_with_a_remapped_column(
    console_stack: ConsoleStack, organization: Organization, screen: Screen, tmp_path: Path,
) -> None:  # fmt: skip
    upload = tmp_path / "march-intake.csv"
    with upload.open("w", newline="") as f:
        csv.writer(f).writerows(ROWS)
    page = screen.page
    await page.goto("/imports")
    await sign_in(page, organization.id, organization.admin_email,
                  organization.admin_password)  # fmt: skip
    await expect(page.get_by_role("heading", name="Import contacts")).to_be_visible()
    async with page.expect_download() as template:
        await page.get_by_role("button", name="Download the CSV template").click()
    header = read_download(await (await template.value).path()).splitlines()[0]
    assert "phone" in header.lower()

    await page.get_by_label("CSV or XLSX file").set_input_files(str(upload))
    cell = page.get_by_label("What “Cell” means")
    await expect(cell).to_have_value("field:cell")  # taken for a new field
    await expect(page.get_by_role("alert")).to_contain_text("no phone column")
    await expect(page.get_by_text("Choose what the columns mean")).to_be_visible()
    await screen.accessible("import-preview")
    await cell.select_option("phone")
    # Read again with the new meaning: the first rows, and the problems found.
    await expect(page.get_by_text("3 are ready and 2 have problems")).to_be_visible()
    problems = page.locator("ul.problems")
    await expect(problems).to_contain_text("Row 3")
    await expect(problems).to_contain_text("Row 5")
    await expect(page.get_by_role("cell", name="+254712000021")).to_be_visible()
    await page.get_by_label("A new collection named", exact=True).check()
    await page.get_by_label("New collection's title").fill("March intake")
    await page.get_by_label("These contacts have opted in").check()
    await screen.accessible("import-options")
    await screen.shot("preview remapped")
    await page.get_by_role("button", name="Start import").click()

    status = page.get_by_role("status")
    await expect(status).to_have_text("Completed", timeout=60_000)
    progress = page.get_by_label("Rows read")
    await expect(progress).to_have_attribute("value", "100")
    counts = page.locator("dl")
    await expect(counts).to_contain_text("Created3")
    await expect(counts).to_contain_text("Failed2")
    await screen.accessible("import-progress")
    await screen.shot("import completed")
    async with page.expect_download() as report:
        await page.get_by_role("button", name="Download the error report (2 rows)").click()
    saved = await report.value
    assert saved.suggested_filename == "march-intake.csv.errors.csv"
    lines = list(csv.DictReader(io.StringIO(read_download(await saved.path()))))
    assert sorted(int(line["row"]) for line in lines) == [3, 5]
    assert {line["Full name"] for line in lines} == {"Baraka Otieno", "Dede Mensah"}

    # Listed among the recent imports, with its outcome.
    await page.get_by_role("link", name="Back to imports").click()
    recent = page.locator("ul.notifications")
    await expect(recent).to_contain_text("march-intake.csv: completed, 3 created")
    # Its contacts are in their new collection.
    await page.get_by_role("link", name="Collections", exact=True).click()
    await page.get_by_role("link", name="March intake").click()
    await expect(page.get_by_text("3 members")).to_be_visible(timeout=20_000)
