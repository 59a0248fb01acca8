"""Uploads built to exhaust the importer are refused with a 4xx and a code naming what is
wrong, by the preview and by the import alike, before any job exists; files as Excel and
other tools really save them (UTF-16 "Unicode Text", legacy encodings, language names) import.
"""

from __future__ import annotations

import codecs
from typing import Any

import httpx
import pytest

from tests.conftest import TokenFactory
from tests.support.hostile_files import hostile_uploads
from tests.support.imports_api import error_report, run_import, upload

HOSTILE = hostile_uploads()


async def _preview(
    client: httpx.AsyncClient, headers: dict[str, str], content: bytes, name: str
) -> httpx.Response:
    return await client.post(
        "/v1/imports/preview", headers=headers, files={"file": (name, content)}
    )


@pytest.mark.parametrize("name", sorted(HOSTILE))
async def test_hostile_files_are_refused_by_preview_and_import(
    importer_client: httpx.AsyncClient, auth: TokenFactory, org: str, name: str
) -> None:
    content, code = HOSTILE[name]
    headers = auth(org)
    file_name = f"{name}.csv" if name.startswith("csv") else f"{name}.xlsx"
    for response in (
        await _preview(importer_client, headers, content, file_name),
        await upload(importer_client, headers, content, name=file_name),
    ):
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["code"] == code, error
        assert error["message"]
    jobs = await importer_client.get("/v1/imports", headers=headers)
    assert jobs.json()["items"] == []


UNICODE_TEXT = (
    "Name\tPhone\tLanguage\n"
    "Zoë Wanjiru\t+254712344001\tKiswahili\n"
    "अमित शर्मा\t+254712344002\tहिन्दी\n"
    "François\t+254712344003\tFrançais\n"
    "Ana\t+254712344004\tBlorgish\n"
)


@pytest.mark.parametrize(
    ("content", "encoding"),
    [
        pytest.param(
            codecs.BOM_UTF16_LE + UNICODE_TEXT.encode("utf-16-le"), "utf-16", id="utf16le"
        ),
        pytest.param(
            codecs.BOM_UTF16_BE + UNICODE_TEXT.encode("utf-16-be"), "utf-16", id="utf16be"
        ),
        pytest.param(codecs.BOM_UTF8 + UNICODE_TEXT.encode(), "utf-8-sig", id="utf8-bom"),
        pytest.param(UNICODE_TEXT.encode(), "utf-8", id="utf8"),
    ],
)
async def test_unicode_files_are_previewed_with_their_languages_read(
    importer_client: httpx.AsyncClient, auth: TokenFactory, org: str, content: bytes, encoding: str
) -> None:
    response = await _preview(importer_client, auth(org), content, "contacts.txt")
    assert response.status_code == 200, response.text
    preview: dict[str, Any] = response.json()
    assert preview["format"] == {"kind": "csv", "encoding": encoding, "delimiter": "\t"}
    assert preview["mapping"] == {"Name": "name", "Phone": "phone", "Language": "language"}
    assert [(r["attributes"]["name"], r["attributes"]["language"]) for r in preview["rows"]] == [
        ("Zoë Wanjiru", "swa"),
        ("अमित शर्मा", "hin"),
        ("François", "fra"),
    ]
    assert [(e["row"], e["code"], e["column"], e["value"]) for e in preview["errors"]] == [
        (5, "invalid_language", "Language", "Blorgish")
    ]


async def test_excel_unicode_text_imports_with_languages_as_codes(
    importer_client: httpx.AsyncClient, client: httpx.AsyncClient, auth: TokenFactory, org: str
) -> None:
    """Was refused as `no phone column found`; languages were stored as written."""
    headers = auth(org)
    content = codecs.BOM_UTF16_LE + UNICODE_TEXT.encode("utf-16-le")
    job = await run_import(importer_client, headers, content, name="contacts.txt")
    assert job["status"] == "completed", job
    assert (job["counters"]["created"], job["counters"]["failed"]) == (3, 1)
    report = await error_report(importer_client, headers, job["id"])
    assert [(r["row"], r["code"], r["column"]) for r in report] == [
        ("5", "invalid_language", "Language")
    ]
    stored = await client.get("/v1/contacts?status=any", headers=headers)
    languages = {c["name"]: c["language"] for c in stored.json()["items"]}
    assert languages == {"Zoë Wanjiru": "swa", "अमित शर्मा": "hin", "François": "fra"}


async def test_legacy_encoded_accented_names_import(
    importer_client: httpx.AsyncClient, client: httpx.AsyncClient, auth: TokenFactory, org: str
) -> None:
    headers = auth(org)
    content = "name;phone\nJosé Peña;+254712344011\nJoão Simões;+254712344012\n".encode("cp1252")
    job = await run_import(importer_client, headers, content)
    assert job["status"] == "completed", job
    stored = await client.get("/v1/contacts?status=any", headers=headers)
    assert sorted(c["name"] for c in stored.json()["items"]) == ["José Peña", "João Simões"]
