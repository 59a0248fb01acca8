"""Driving the importer's API in tests: upload a file, wait for the job to end, read the
error report."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx

from tests.support.eventually import eventually

FINISHED = ("completed", "failed", "cancelled")


async def upload(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    content: bytes,
    *,
    name: str = "contacts.csv",
    **form: Any,
) -> httpx.Response:
    data = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in form.items()}
    return await client.post(
        "/v1/imports", headers=headers, files={"file": (name, content)}, data=data
    )


async def finished(
    client: httpx.AsyncClient, headers: dict[str, str], import_id: str, timeout_s: float = 60
) -> dict[str, Any]:
    async def probe() -> dict[str, Any]:
        response = await client.get(f"/v1/imports/{import_id}", headers=headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    return await eventually(probe, lambda job: job["status"] in FINISHED, timeout_s=timeout_s)


async def run_import(
    client: httpx.AsyncClient, headers: dict[str, str], content: bytes, **form: Any
) -> dict[str, Any]:
    response = await upload(client, headers, content, **form)
    assert response.status_code == 202, response.text
    return await finished(client, headers, response.json()["id"])


async def error_report(
    client: httpx.AsyncClient, headers: dict[str, str], import_id: str
) -> list[dict[str, str]]:
    response = await client.get(f"/v1/imports/{import_id}/errors?format=csv", headers=headers)
    assert response.status_code == 200, response.text
    text = response.content.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))
