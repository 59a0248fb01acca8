"""`roster import`: upload, progress, summary and the error report saved beside the file."""

from __future__ import annotations

import io
from pathlib import Path

import httpx

from services.importer.bootstrap import ImporterService
from services.importer.entrypoints.cli import progress_line, run
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
