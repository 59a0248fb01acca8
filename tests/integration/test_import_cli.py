"""`roster import` against the importer: upload, progress as plain lines (its output is no
terminal), summary and the error report saved beside the file; a refused upload as one line;
Ctrl-C answered yes cancels the job."""

from __future__ import annotations

import io
from pathlib import Path

import httpx

from services.importer.bootstrap import ImporterService
from services.importer.entrypoints.cli import INTERRUPTED, Session, interrupted, progress_line, run
from shared.auth import Role, TokenCodec


async def test_cli_imports_and_saves_the_error_report(
    importer_service: ImporterService, token_codec: TokenCodec, org: str, tmp_path: Path
) -> None:
    file = tmp_path / "people.csv"
    file.write_text("name,phone\nA,+254712343001\nB,nope\nC,+254712343002\n", encoding="utf-8")
    token = token_codec.issue(org, Role.ADMIN, "cli")
    out = io.StringIO()
    code = await run(
        "http://importer",
        token,
        file,
        {"mode": "create", "group": "CLI people"},
        out=out,
        transport=httpx.ASGITransport(app=importer_service.app),
    )
    text = out.getvalue()
    assert code == 0, text
    assert "completed" in text
    assert "\r" not in text and "\x1b" not in text  # a log, not a terminal
    assert any(line.startswith("[") and "rows/s" in line for line in text.splitlines()), text
    assert "created 2" in text and "failed 1" in text, text
    report = file.with_name("people.csv.errors.csv")
    assert report.is_file(), text
    lines = report.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("row,outcome,column,value,code,message,name,phone")
    assert lines[1].startswith("3,failed,phone,nope,invalid_phone")


def test_progress_line_shows_rate_and_eta() -> None:
    job = {"status": "importing", "total_rows": 1000, "counters": {"created": 250, "failed": 0}}
    line = progress_line(job, elapsed_s=5.0)
    assert "25.0%" in line and "250/1,000 rows" in line
    assert "50 rows/s" in line and "ETA 15s" in line


async def test_a_refused_upload_is_one_line_and_exit_code_1(
    importer_service: ImporterService, token_codec: TokenCodec, org: str, tmp_path: Path
) -> None:
    file = tmp_path / "people.csv"
    file.write_text("name,email\nA,a@example.org\n", encoding="utf-8")
    out = io.StringIO()
    code = await run(
        "http://importer",
        token_codec.issue(org, Role.ADMIN, "cli"),
        file,
        {"mode": "create"},
        out=out,
        transport=httpx.ASGITransport(app=importer_service.app),
    )
    assert code == 1
    (line,) = out.getvalue().splitlines()
    assert line.startswith("import refused (422 invalid_mapping): "), line
    assert "phone" in line


async def test_interrupted_and_answered_yes_the_job_is_cancelled_on_the_server(
    importer_service: ImporterService, token_codec: TokenCodec, org: str, tmp_path: Path
) -> None:
    """The job may finish before the cancel arrives: then the importer's refusal is the one
    line, and the job is as the importer says."""
    token = token_codec.issue(org, Role.ADMIN, "cli")
    transport = httpx.ASGITransport(app=importer_service.app)
    rows = "".join(f"P{n},+2547123{n:05d}\n" for n in range(3000))
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://importer",
        headers={"Authorization": f"Bearer {token}"},
    ) as http:
        response = await http.post(
            "/v1/imports", files={"file": ("big.csv", "name,phone\n" + rows)}, data={}
        )
        assert response.status_code == 202, response.text
        job_id = response.json()["id"]
        asked: list[str] = []

        def yes(question: str) -> bool:
            asked.append(question)
            return True

        out = io.StringIO()
        session = Session("http://importer", token, transport, job_id)
        code = await interrupted(session, out, ask=yes)
        (line,) = out.getvalue().splitlines()
        assert asked == [f"Cancel import {job_id} on the server?"]
        status = (await http.get(f"/v1/imports/{job_id}")).json()["status"]
    if code == INTERRUPTED:
        assert line.startswith(f"import {job_id} cancelled"), line
        assert status == "cancelled"
    else:
        assert code == 1
        assert line.startswith(f"cancelling import {job_id} failed (409 import_finished)"), line
        assert status == "completed"
