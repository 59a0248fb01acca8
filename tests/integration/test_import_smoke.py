"""A plain CSV import through all three services."""

from __future__ import annotations

import httpx

from tests.conftest import TokenFactory
from tests.support.imports_api import error_report, run_import


async def test_plain_import_creates_contacts_and_file_group(
    importer_client: httpx.AsyncClient,
    client: httpx.AsyncClient,
    groups_client: httpx.AsyncClient,
    auth: TokenFactory,
    org: str,
) -> None:
    headers = auth(org)
    content = (
        b"name,phone,age\nAmina,+254712345678,31\nBaraka,+254712345679,abc\nChidi,not-a-phone,20\n"
    )
    job = await run_import(importer_client, headers, content, name="Nairobi parents.csv")
    assert job["status"] == "completed", job
    assert job["counters"]["created"] == 2
    assert job["counters"]["failed"] == 1
    report = await error_report(importer_client, headers, job["id"])
    assert [(r["row"], r["code"], r["column"]) for r in report] == [("4", "invalid_phone", "phone")]
    listed = (await client.get("/v1/contacts", headers=headers)).json()
    assert sorted(c["phone"] for c in listed["items"]) == ["+254712345678", "+254712345679"]
    groups = (await groups_client.get("/v1/groups", headers=headers)).json()
    assert [g["name"] for g in groups["items"]] == ["Nairobi parents"]
