"""`roster import` as a log or a terminal sees it: plain lines (never a carriage return) when
its output is no terminal, one line and exit code 1 when the importer cannot be reached, and
after Ctrl-C a job left running when nobody can be asked. The importer's own answers (a
refused upload, a cancel) are in tests/integration/test_import_cli.py."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from rich.console import Console

from services.importer.entrypoints.cli import (
    INTERRUPTED,
    LOG_EVERY_S,
    LiveBar,
    LogLines,
    Session,
    import_file,
    interrupted,
    run,
)
from tests.support.process import free_port


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _job(status: str, done: int, total: int = 1000) -> dict[str, Any]:
    return {"id": "j1", "status": status, "total_rows": total, "counters": {"created": done}}


def test_without_a_terminal_progress_is_plain_lines_on_change_and_every_few_seconds() -> None:
    out = io.StringIO()
    with LogLines(out) as lines:
        lines.show(_job("validating", 0), 0.5)
        lines.show(_job("importing", 10), 1.0)
        lines.show(_job("importing", 20), 1.5)  # no change, too soon: nothing
        lines.show(_job("importing", 500), 1.0 + LOG_EVERY_S)
        lines.show(_job("completed", 1000), 1.0 + LOG_EVERY_S + 0.5)
    text = out.getvalue()
    assert "\r" not in text and "\x1b" not in text
    printed = text.splitlines()
    assert len(printed) == 4, printed
    assert "(validating)" in printed[0] and "10/1,000 rows" in printed[1]
    assert "500/1,000 rows" in printed[2] and "100.0%" in printed[3]


def test_on_a_terminal_progress_is_a_live_bar() -> None:
    out = _Terminal()
    with LiveBar(Console(file=out, width=120)) as bar:
        bar.show(_job("importing", 250), 5.0)
    text = out.getvalue()
    assert "250/1000" in text and "50 rows/s" in text and "ETA 15s" in text


async def test_an_importer_that_cannot_be_reached_is_one_line(tmp_path: Path) -> None:
    file = tmp_path / "people.csv"
    file.write_text("name,phone\nA,+254712343001\n", encoding="utf-8")
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    out = io.StringIO()
    code = await run(url, "token", file, {"mode": "create"}, out=out)
    assert code == 1
    (line,) = out.getvalue().splitlines()
    assert line.startswith(f"cannot reach the importer at {url}: "), line


def test_a_missing_file_is_one_line(tmp_path: Path) -> None:
    out = io.StringIO()
    assert import_file("http://127.0.0.1:1", "token", tmp_path / "nope.csv", {}, out) == 1
    assert out.getvalue().splitlines() == [f"no such file: {tmp_path / 'nope.csv'}"]


async def test_interrupted_without_anyone_to_ask_the_job_goes_on() -> None:
    """No question, no cancel request (nothing listens: one would fail), the job's URL."""
    url = f"http://127.0.0.1:{free_port()}"
    out = io.StringIO()
    code = await interrupted(Session(url, "token", job_id="j1"), out, ask=None)
    assert code == INTERRUPTED
    assert out.getvalue().splitlines() == [
        f"interrupted; import j1 goes on on the server: {url}/v1/imports/j1"
    ]


async def test_interrupted_with_a_no_the_job_goes_on() -> None:
    asked: list[str] = []

    def no(question: str) -> bool:
        asked.append(question)
        return False

    out = io.StringIO()
    code = await interrupted(Session("http://127.0.0.1:1", "token", job_id="j1"), out, ask=no)
    assert code == INTERRUPTED
    assert asked == ["Cancel import j1 on the server?"]
    assert "goes on on the server" in out.getvalue()


async def test_interrupted_before_the_upload_was_accepted() -> None:
    out = io.StringIO()
    code = await interrupted(Session("http://127.0.0.1:1", "token"), out, ask=lambda _: True)
    assert code == INTERRUPTED
    assert out.getvalue().splitlines() == ["interrupted before the importer accepted the file"]
