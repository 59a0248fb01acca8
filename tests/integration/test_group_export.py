"""`GET /v1/groups/{id}/export` against the real services: CSV and XLSX with the standard columns,
the organisation's custom fields, the member's groups, and no cell a spreadsheet would run as a
formula."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import openpyxl

from tests.conftest import TokenFactory
from tests.support.contacts_api import create, define_field, phones
from tests.support.eventually import eventually
from tests.support.groups_api import add_members, create_group, known_to_groups, member_ids

STANDARD = ["id", "name", "phone", "email", "language", "status", "groups"]
FORMULA = '=HYPERLINK("x")'


async def export(
    client: httpx.AsyncClient, headers: dict[str, str], group_id: str, fmt: str
) -> httpx.Response:
    response = await client.get(
        f"/v1/groups/{group_id}/export", params={"format": fmt}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response


def csv_rows(response: httpx.Response) -> list[list[str]]:
    assert response.headers["content-type"].startswith("text/csv"), response.headers
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff"), repr(text[:20])
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))


def xlsx_rows(response: httpx.Response) -> list[list[str]]:
    assert response.headers["content-type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    ), response.headers
    workbook = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    try:
        sheet = workbook.worksheets[0]
        rows = [
            ["" if value is None else value for value in row]
            for row in sheet.iter_rows(values_only=True)
        ]
    finally:
        workbook.close()
    for row in rows:
        for value in row:
            assert isinstance(value, str), (value, row)  # nothing becomes a number or a date
    return rows


def attachment(response: httpx.Response, extension: str) -> None:
    disposition = response.headers.get("content-disposition", "")
    assert disposition.startswith("attachment"), response.headers
    assert f".{extension}" in disposition, disposition


def group_names(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(",")] if cell else []


async def test_export_has_fields_groups_and_no_formulas(
    client: httpx.AsyncClient,
    groups_client: httpx.AsyncClient,
    auth: TokenFactory,
    org: str,
) -> None:
    headers = auth(org)
    note = (await define_field(client, headers, "Note"))["key"]
    score = (await define_field(client, headers, "Score", "number"))["key"]
    keys = sorted([note, score])

    p1, p2, p3 = phones(3)
    tricky = await create(
        client,
        headers,
        phone=p1,
        name=FORMULA,
        email="tricky@example.org",
        language="swa",
        fields={note: "@SUM(A1)", score: 42},
    )
    plain = await create(client, headers, phone=p2, name="Plain Person", fields={note: "hello"})
    outsider = await create(client, headers, phone=p3, name="Outsider", fields={score: 7})
    assert tricky["name"] == FORMULA and tricky["fields"][note]["text"] == "@SUM(A1)"
    ids = [tricky["id"], plain["id"], outsider["id"]]
    await known_to_groups(groups_client, headers, ids)

    members = await create_group(groups_client, headers, "Members")
    clinic = await create_group(groups_client, headers, "Clinic")
    await create_group(groups_client, headers, "Unrelated")
    await add_members(groups_client, headers, members["id"], [tricky["id"], plain["id"]])
    await add_members(groups_client, headers, clinic["id"], [tricky["id"], outsider["id"]])
    await eventually(
        lambda: member_ids(groups_client, headers, members["id"]),
        lambda m: m == {tricky["id"], plain["id"]},
    )
    await eventually(
        lambda: member_ids(groups_client, headers, clinic["id"]),
        lambda m: m == {tricky["id"], outsider["id"]},
    )

    expected_header = [*STANDARD, *keys]

    def row(contact: dict[str, Any], **shown: str) -> list[str]:
        """The contact's row: its own values, except those `shown` differently."""
        values = {
            "id": contact["id"],
            "name": contact.get("name") or "",
            "phone": contact["phone"],
            "email": contact.get("email") or "",
            "language": contact.get("language") or "",
            "status": "active",
            "groups": "",
        }
        for key in keys:
            values[key] = contact["fields"][key]["text"] if key in contact["fields"] else ""
        return [shown.get(column, values[column]) for column in expected_header]

    expected_rows = {
        tricky["id"]: row(
            tricky,
            name="'" + FORMULA,
            phone="'" + p1,
            groups="Clinic, Members",
            **{note: "'@SUM(A1)"},
        ),
        plain["id"]: row(plain, phone="'" + p2, groups="Members"),
    }
    # The memberships are in (waited for above); the field definitions come by their own events.
    response = await eventually(
        lambda: export(groups_client, headers, members["id"], "csv"),
        lambda r: csv_rows(r)[0] == expected_header,
    )
    attachment(response, "csv")
    rows = csv_rows(response)
    header, body = rows[0], rows[1:]
    assert header == expected_header
    assert len(body) == 2, body
    assert sorted(body) == sorted(expected_rows.values())
    by_id = {r[0]: dict(zip(header, r, strict=True)) for r in body}
    assert set(by_id) == {tricky["id"], plain["id"]}
    cells = by_id[tricky["id"]]
    assert cells["name"] == "'" + FORMULA
    assert cells[note] == "'@SUM(A1)"
    assert cells["phone"] == "'" + p1 and p1.startswith("+254")
    assert cells[score] == tricky["fields"][score]["text"] == "42"
    assert cells["email"] == "tricky@example.org" and cells["language"] == "swa"
    assert group_names(cells["groups"]) == ["Clinic", "Members"]
    assert group_names(by_id[plain["id"]]["groups"]) == ["Members"]
    assert by_id[plain["id"]][note] == "hello" and by_id[plain["id"]][score] == ""
    for r in body:
        for cell in r:
            assert not cell.startswith(("=", "+", "-", "@")), (cell, r)

    # XLSX: the same rows, and no cell a spreadsheet would run.
    xlsx = await export(groups_client, headers, members["id"], "xlsx")
    attachment(xlsx, "xlsx")
    sheet = xlsx_rows(xlsx)
    assert sheet[0] == expected_header
    assert len(sheet) == 3, sheet
    assert {tuple(r) for r in sheet[1:]} == {tuple(r) for r in body}
    for r in sheet:
        for value in r:
            assert not value.startswith("="), (value, r)

    # The other group exports its own members, with the same columns.
    other = csv_rows(await export(groups_client, headers, clinic["id"], "csv"))
    assert other[0] == expected_header
    assert {r[0] for r in other[1:]} == {tricky["id"], outsider["id"]}
    outsider_row = next(r for r in other[1:] if r[0] == outsider["id"])
    assert outsider_row[header.index(score)] == "7"
    assert group_names(outsider_row[header.index("groups")]) == ["Clinic"]


async def test_export_of_an_empty_group_and_unknown_groups(
    groups_client: httpx.AsyncClient, auth: TokenFactory, org: str
) -> None:
    headers = auth(org)
    empty = await create_group(groups_client, headers, "Nobody Yet")
    response = await export(groups_client, headers, empty["id"], "csv")
    attachment(response, "csv")
    assert csv_rows(response) == [STANDARD]
    sheet = await export(groups_client, headers, empty["id"], "xlsx")
    attachment(sheet, "xlsx")
    assert xlsx_rows(sheet) == [STANDARD]

    for fmt in ("csv", "xlsx"):
        missing = await groups_client.get(
            "/v1/groups/no-such-group/export", params={"format": fmt}, headers=headers
        )
        assert missing.status_code == 404, missing.text
        assert missing.json()["error"]["code"] == "not_found"
    other_org = await groups_client.get(
        f"/v1/groups/{empty['id']}/export", headers=auth(org + "-x")
    )
    assert other_org.status_code == 404, other_org.text
    bad_format = await groups_client.get(
        f"/v1/groups/{empty['id']}/export", params={"format": "pdf"}, headers=headers
    )
    assert bad_format.status_code == 422, bad_format.text
    anonymous = await groups_client.get(f"/v1/groups/{empty['id']}/export")
    assert anonymous.status_code == 401, anonymous.text


async def test_export_of_a_group_named_in_any_script(
    groups_client: httpx.AsyncClient, auth: TokenFactory, org: str
) -> None:
    headers = auth(org)
    created = await groups_client.post("/v1/groups", json={"name": "Вода 水"}, headers=headers)
    assert created.status_code == 201, created.text
    response = await groups_client.get(f"/v1/groups/{created.json()['id']}/export", headers=headers)
    assert response.status_code == 200, response.text
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="')
    assert "filename*=UTF-8''%D0%92%D0%BE%D0%B4%D0%B0%20%E6%B0%B4.csv" in disposition
