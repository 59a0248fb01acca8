"""Imports of real-world messy files through the importer, the contacts and the groups
services: what happened to every row, the error report, and the contacts as stored."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from openpyxl import Workbook

from services.importer.bootstrap import ImporterService
from services.importer.domain.commands import DeleteExpiredReports
from tests.conftest import TokenFactory
from tests.support.contacts_api import create, define_field
from tests.support.eventually import eventually
from tests.support.imports_api import error_report, run_import, upload


def xlsx(rows: list[list[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@dataclass(frozen=True)
class Case:
    name: str
    content: bytes
    counters: dict[str, int]
    # (row, code, column) of every report entry, in row order
    report: list[tuple[str, str, str]]
    # phone → attributes the stored contact must have (fields by key → text)
    contacts: dict[str, dict[str, Any]]
    form: dict[str, Any] = field(default_factory=dict)
    file_name: str = "contacts.csv"


CASES = [
    Case(
        "utf8_bom_semicolons_quoted_newline",
        (
            "\ufeffName;Phone;Notes\n"
            '"Amina\nOdhiambo";+254712340001;"a; b"\n'
            "Baraka;+254 712 340 002;\n"
        ).encode(),
        {"rows_read": 2, "created": 2, "failed": 0},
        [],
        {
            "+254712340001": {"name": "Amina\nOdhiambo", "fields": {"notes": "a; b"}},
            "+254712340002": {"name": "Baraka", "fields": {}},
        },
    ),
    Case(
        "latin1_tabs",
        "name\tphone\tcity\nZoë\t+254712340003\tMombasa\nJosé\t+254712340004\tMalindi\n".encode(
            "cp1252"
        ),
        {"rows_read": 2, "created": 2},
        [],
        {
            "+254712340003": {"name": "Zoë", "fields": {"city": "Mombasa"}},
            "+254712340004": {"name": "José"},
        },
    ),
    Case(
        "excel_numbers_invisible_unicode_and_invalid_phones",
        (
            "name,phone\n"
            "A,2.54712340005E+11\n"
            "B,254712340006.0\n"
            "C,\u200b+254712340007\u200e\n"
            "D,12345\n"
            "E,\n"
            "F,+2547123400xx\n"
        ).encode(),
        {"rows_read": 6, "created": 3, "failed": 3},
        [
            ("5", "invalid_phone", "phone"),
            ("6", "missing_phone", "phone"),
            ("7", "invalid_phone", "phone"),
        ],
        {
            "+254712340005": {"name": "A"},
            "+254712340006": {"name": "B"},
            "+254712340007": {"name": "C"},
        },
    ),
    Case(
        "duplicate_phones_in_one_file",
        (b"name,phone\nFirst,+254712340008\nSecond,0712340008\nThird,+254712340009\n"),
        {"rows_read": 3, "created": 2, "failed": 1},
        [("3", "duplicate_in_file", "phone")],
        {"+254712340008": {"name": "First"}, "+254712340009": {"name": "Third"}},
        form={"default_country": "KE"},
    ),
    Case(
        "new_and_typed_fields_blank_and_clear_cells",
        (
            b"name,phone,Age,District,email\n"
            b"A,+254712340010,31,--,a@example.org\n"
            b"B,+254712340011,,Kisumu,\n"
            b"C,+254712340012,old,Nakuru,not-an-email\n"
        ),
        {"rows_read": 3, "created": 2, "failed": 1},
        [("4", "invalid_value", "email")],
        {
            "+254712340010": {"name": "A", "email": "a@example.org", "fields": {"age": "31"}},
            "+254712340011": {"name": "B", "email": None, "fields": {"district": "Kisumu"}},
        },
    ),
    Case(
        "rapidpro_export",
        (
            b"Contact UUID,Name,Language,Created On,URN:Tel,URN:WhatsApp,Field:Age,"
            b"Field:District,Group:Parents,Group:Teachers\n"
            b"6f1e,Amina,swa,2024-01-01,tel:+254712340013,254712340113,31,Kisumu,true,false\n"
            b"7a2b,Bob,eng,2024-01-02,+254712340014,,40,--,false,true\n"
            b"8c3d,Chris,fra,2024-01-03,+254712340015,,41,,maybe,false\n"
        ),
        {"rows_read": 3, "created": 2, "failed": 1},
        [("4", "invalid_value", "Group:Parents")],
        {
            "+254712340013": {
                "name": "Amina",
                "language": "swa",
                "secondary_phone": "+254712340113",
                "fields": {"age": "31", "district": "Kisumu"},
                "groups": ["Parents"],
            },
            "+254712340014": {"language": "eng", "fields": {"age": "40"}, "groups": ["Teachers"]},
        },
        form={"no_group": True},
        file_name="rapidpro.csv",
    ),
    Case(
        "glific_sample_columns",
        (
            b"name,phone,language,opt_in,collection\n"
            b'Ravi,917834811114,Hindi,2021-03-09,"Optin, Parents"\n'
            b"Sita,917834811115,English,,Parents\n"
        ),
        {"rows_read": 2, "created": 2},
        [],
        {
            "+917834811114": {
                "language": "hin",
                "opted_in": True,
                "groups": ["Optin", "Parents", "glific"],
            },
            "+917834811115": {
                "language": "eng",
                "opted_in": False,
                "groups": ["Parents", "glific"],
            },
        },
        file_name="glific.csv",
    ),
    Case(
        "xlsx_with_float_numbers_and_dates",
        xlsx(
            [
                ["name", "phone", "joined", "score"],
                ["A", 254712340016.0, "2024-02-01", 12.5],
                ["B", "+254712340017", None, 7],
                [None, None, None, None],
                ["C", "bad", "2024-02-03", 1],
            ]
        ),
        {"rows_read": 3, "created": 2, "failed": 1},
        [("5", "invalid_phone", "phone")],
        {
            "+254712340016": {"name": "A", "fields": {"joined": "2024-02-01", "score": "12.5"}},
            "+254712340017": {"name": "B", "fields": {"score": "7"}},
        },
        file_name="sheet.xlsx",
    ),
]


async def _contact_by_phone(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> dict[str, dict[str, Any]]:
    response = await client.get("/v1/contacts?status=any&limit=500", headers=headers)
    assert response.status_code == 200, response.text
    return {c["phone"]: c for c in response.json()["items"]}


async def _group_names(groups_client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, str]:
    response = await groups_client.get("/v1/groups", headers=headers)
    return {g["id"]: g["name"] for g in response.json()["items"]}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_messy_files_have_exact_row_outcomes(
    case: Case,
    importer_client: httpx.AsyncClient,
    client: httpx.AsyncClient,
    groups_client: httpx.AsyncClient,
    auth: TokenFactory,
    org: str,
) -> None:
    headers = auth(org)
    job = await run_import(importer_client, headers, case.content, name=case.file_name, **case.form)
    assert job["status"] == "completed", job
    counters = job["counters"]
    for key, expected in case.counters.items():
        assert counters[key] == expected, (key, counters)
    report = await error_report(importer_client, headers, job["id"])
    assert [(r["row"], r["code"], r["column"]) for r in report] == case.report
    for entry in report:  # the original row comes back, to fix and upload again
        assert entry["message"]
    stored = await _contact_by_phone(client, headers)
    assert set(stored) == set(case.contacts)
    wants_groups = any("groups" in want for want in case.contacts.values())
    if wants_groups:
        expected_groups = {p: sorted(w.get("groups", [])) for p, w in case.contacts.items()}

        async def groups_now() -> dict[str, list[str]]:
            names = await _group_names(groups_client, headers)
            found = await _contact_by_phone(client, headers)
            return {p: sorted(names.get(g, g) for g in c["groups"]) for p, c in found.items()}

        await eventually(groups_now, lambda now: now == expected_groups, timeout_s=30)
    for phone, want in case.contacts.items():
        contact = stored[phone]
        for key, value in want.items():
            if key == "fields":
                assert {k: v["text"] for k, v in contact["fields"].items()} == value, contact
            elif key == "opted_in":
                assert (contact["opt_in"]["status"] == "opted_in") is value, contact
                if value:
                    assert contact["opt_in"]["opt_in_method"] == "import"
            elif key != "groups":
                assert contact[key] == value, (key, contact)


async def test_error_report_carries_the_original_row(
    importer_client: httpx.AsyncClient, auth: TokenFactory, org: str
) -> None:
    headers = auth(org)
    content = b"name,phone,city\nGood,+254712341001,Nairobi\nBad,=1+2,Kisumu\n"
    job = await run_import(importer_client, headers, content)
    report = await error_report(importer_client, headers, job["id"])
    assert len(report) == 1
    row = report[0]
    assert (row["row"], row["outcome"], row["code"]) == ("3", "failed", "invalid_phone")
    assert (row["name"], row["city"]) == ("Bad", "Kisumu")
    assert row["phone"] == "'=1+2"  # neutralized: a spreadsheet must not run it


async def test_bad_files_are_refused_before_becoming_jobs(
    importer_client: httpx.AsyncClient, auth: TokenFactory, org: str
) -> None:
    headers = auth(org)
    no_phone = await upload(importer_client, headers, b"name,email\nA,a@example.org\n")
    assert no_phone.status_code == 422
    assert no_phone.json()["error"]["code"] == "invalid_mapping"
    empty = await upload(importer_client, headers, b"")
    assert empty.status_code == 422
    assert empty.json()["error"]["code"] == "unreadable_file"
    staff = await upload(importer_client, auth(org, "staff"), b"name,phone\nA,+254712341002\n")
    assert staff.status_code == 403
    mapped = await upload(
        importer_client, headers, b"who,mobile\nA,+254712341003\n", mapping='{"mobile": "phone"}'
    )
    assert mapped.status_code == 202, mapped.text


async def test_upsert_updates_adds_to_collections_and_respects_status(
    importer_client: httpx.AsyncClient,
    client: httpx.AsyncClient,
    groups_client: httpx.AsyncClient,
    auth: TokenFactory,
    org: str,
) -> None:
    headers = auth(org)
    await define_field(client, headers, "District")
    active = await create(
        client, headers, name="Old", phone="+254712342001", email="old@example.org",
        fields={"district": "Kisumu"},
    )  # fmt: skip
    blocked = await create(client, headers, name="Blocked", phone="+254712342002")
    stopped = await create(client, headers, name="Stopped", phone="+254712342003")
    for contact, status in ((blocked, "blocked"), (stopped, "stopped")):
        response = await client.post(
            f"/v1/contacts/{contact['id']}/status", json={"status": status}, headers=headers
        )
        assert response.status_code == 200, response.text
    content = (
        b"name,phone,email,district,collection,status\n"
        b"New Name,+254712342001,,--,Alumni,\n"  # email blank: kept; district cleared
        b"Blocked Renamed,+254712342002,,,Alumni,active\n"
        b"Stopped Renamed,+254712342003,,,Alumni,\n"
        b"Fresh,+254712342004,,Nakuru,Alumni,\n"
        b"Again,+254712342001,,,,\n"
    )
    job = await run_import(importer_client, headers, content, mode="upsert", opt_in=True)
    assert job["status"] == "completed", job
    counters = job["counters"]
    assert (counters["created"], counters["updated"], counters["failed"]) == (1, 3, 1), counters
    entries = await error_report(importer_client, headers, job["id"])
    report = {(r["row"], r["code"]) for r in entries}
    assert report == {
        ("3", "status_kept"),
        ("4", "contact_stopped"),
        ("6", "duplicate_in_file"),
    }
    stored = await _contact_by_phone(client, headers)
    assert len(stored) == 4  # no duplicates
    updated = stored["+254712342001"]
    assert updated["id"] == active["id"]
    assert (updated["name"], updated["email"], updated["fields"]) == (
        "New Name", "old@example.org", {}
    )  # fmt: skip
    assert updated["opt_in"]["status"] == "opted_in"
    assert stored["+254712342002"]["name"] == "Blocked Renamed"
    assert stored["+254712342002"]["status"] == "blocked"
    assert stored["+254712342003"]["status"] == "stopped"
    assert stored["+254712342003"]["opt_in"]["status"] == "opted_out"

    async def alumni() -> set[str]:
        names = await _group_names(groups_client, headers)
        found = await _contact_by_phone(client, headers)
        return {p for p, c in found.items() if "Alumni" in {names.get(g) for g in c["groups"]}}

    await eventually(alumni, lambda now: now == {"+254712342001", "+254712342004"}, timeout_s=30)
    names = set((await _group_names(groups_client, headers)).values())
    assert names == {"Alumni"}  # upsert makes no group named after the file


async def test_an_error_report_past_its_retention_is_deleted_and_answers_410(
    importer_client: httpx.AsyncClient,
    importer_service: ImporterService,
    auth: TokenFactory,
    org: str,
) -> None:
    headers = auth(org)
    content = b"name,phone\nGood,+254712341101\nBad,=1+2\n"
    kept = await run_import(importer_client, headers, content)
    expired = await run_import(importer_client, headers, content)
    uow = importer_service.uow
    # The second one ended long ago: its finish moved back beyond the default 30 days.
    long_ago = datetime.now(UTC) - timedelta(days=31)
    await uow.imports.jobs.update_one({"_id": expired["id"]}, {"$set": {"finished_at": long_ago}})

    await importer_service.running.bus.handle(
        DeleteExpiredReports(ended_before=datetime.now(UTC) - timedelta(days=30))
    )

    gone = await importer_client.get(f"/v1/imports/{expired['id']}/errors", headers=headers)
    assert gone.status_code == 410
    assert gone.json()["error"]["code"] == "import_report_deleted"
    assert await uow.imports.report.count_documents({"import_id": expired["id"]}) == 0
    job = (await importer_client.get(f"/v1/imports/{expired['id']}", headers=headers)).json()
    assert job["report_deleted_at"] is not None
    assert job["counters"]["failed"] == 1  # the job keeps what it counted
    assert len(await error_report(importer_client, headers, kept["id"])) == 1
