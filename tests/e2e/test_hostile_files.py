"""The importer as its own process, sent every hostile upload: each is refused with its 4xx by
the preview and the import alike, the process stays up, and its peak memory (VmHWM, reset
before each file) stays under 300 MB, also for the heaviest rows the limits let through (last:
the memory it takes is not all given back at once). A
4 MB workbook whose shared strings unpacked to 1.5 GB once took it from 92 MB to 1.8 GB."""

from __future__ import annotations

from pathlib import Path

import httpx

from services.importer.domain.files import FileLimits
from tests.conftest import TokenFactory
from tests.support.hostile_files import heaviest_rows, hostile_uploads, workbook
from tests.support.process import ServiceProcess

MAX_PEAK_MB = 300
MAX_UPLOAD_BYTES = 12 << 20  # above the 10 MB CSV line, so that it reaches the reader


def _memory_mb(process: ServiceProcess) -> dict[str, float]:
    assert process.proc is not None
    status = Path(f"/proc/{process.proc.pid}/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return {key: int(fields[key].split()[0]) / 1024 for key in ("VmRSS", "VmHWM")}


def _reset_peak(process: ServiceProcess) -> None:
    """Writing 5 to clear_refs starts VmHWM again from the current RSS."""
    assert process.proc is not None
    Path(f"/proc/{process.proc.pid}/clear_refs").write_text("5")


async def _both(http: httpx.AsyncClient, name: str, content: bytes) -> list[httpx.Response]:
    file_name = f"{name}.csv" if name.startswith("csv") else f"{name}.xlsx"
    return [
        await http.post(endpoint, files={"file": (file_name, content)})
        for endpoint in ("/v1/imports/preview", "/v1/imports")
    ]


async def test_hostile_files_are_refused_within_bounded_memory(
    importer_process: ServiceProcess, auth: TokenFactory, org: str
) -> None:
    importer_process.start({"ROSTER_IMPORT_MAX_BYTES": str(MAX_UPLOAD_BYTES)})
    peaks: dict[str, float] = {"idle": _memory_mb(importer_process)["VmHWM"]}
    async with httpx.AsyncClient(
        base_url=importer_process.url, headers=auth(org), timeout=120
    ) as http:
        _reset_peak(importer_process)
        control = await http.post("/v1/imports/preview", files={"file": ("ok.xlsx", workbook())})
        assert control.status_code == 200, control.text
        peaks["valid workbook"] = _memory_mb(importer_process)["VmHWM"]
        for name, (content, code) in hostile_uploads().items():
            _reset_peak(importer_process)
            for response in await _both(http, name, content):
                assert response.status_code == 422, (name, response.text)
                assert response.json()["error"]["code"] == code, (name, response.text)
            peaks[name] = _memory_mb(importer_process)["VmHWM"]
        _reset_peak(importer_process)
        for response in await _both(http, "csv_over_upload_limit", b"x" * (MAX_UPLOAD_BYTES + 1)):
            assert response.status_code == 413, response.text
            assert response.json()["error"]["code"] == "file_too_large", response.text
        peaks["upload over the size limit"] = _memory_mb(importer_process)["VmHWM"]
        _reset_peak(importer_process)
        limits = FileLimits()
        heaviest = heaviest_rows(limits.max_cell_chars, limits.max_row_chars)
        preview = await http.post("/v1/imports/preview", files={"file": ("h.xlsx", heaviest)})
        assert preview.status_code == 200, preview.text
        assert len(preview.json()["errors"]) == 1000  # every phone echoed back
        peaks["heaviest rows within the limits"] = _memory_mb(importer_process)["VmHWM"]
        assert (await http.get("/v1/imports")).json()["items"] == []
    assert importer_process.proc is not None and importer_process.proc.poll() is None
    print("\nimporter peak RSS (VmHWM) per file, MB:")
    for name, peak in peaks.items():
        print(f"  {name:32} {peak:7.1f}")
    assert max(peaks.values()) < MAX_PEAK_MB, peaks
