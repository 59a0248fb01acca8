"""Every service's API, fuzzed from its own OpenAPI document by schemathesis: no answer is a 5xx,
and every answer has a documented status, content type and body.

The services run as their own processes; the organisation is seeded first (a field, a contact
in a group, an import) and the fuzzer is handed their ids, so that it reaches past "not found"
into the routes' real work. The run is short and bounded (a fixed seed, a few examples per
operation, the fuzzing phase only: schemathesis's coverage phase doubles the run), as every run
of the suite pays for it; `ROSTER_FUZZ_EXAMPLES` and `ROSTER_FUZZ_PHASES` run it larger.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import httpx

from tests.conftest import TokenFactory
from tests.support.contacts_api import create, define_field, phones
from tests.support.groups_api import add_members, create_group
from tests.support.imports_api import finished, upload
from tests.support.process import ServiceProcess

SCHEMATHESIS = Path(sys.executable).with_name("st")
CHECKS = (
    "not_a_server_error,status_code_conformance,content_type_conformance,"
    "response_schema_conformance"
)
EXAMPLES_PER_OPERATION = int(os.environ.get("ROSTER_FUZZ_EXAMPLES", "3"))
PHASES = os.environ.get("ROSTER_FUZZ_PHASES", "fuzzing")


async def seed(
    contacts: ServiceProcess,
    groups: ServiceProcess,
    importer: ServiceProcess,
    dispatcher: ServiceProcess,
    headers: dict,
) -> dict[str, str]:
    """Something of everything the path parameters name."""
    async with (
        httpx.AsyncClient(base_url=contacts.url, timeout=60) as c,
        httpx.AsyncClient(base_url=groups.url, timeout=60) as g,
        httpx.AsyncClient(base_url=importer.url, timeout=60) as i,
        httpx.AsyncClient(base_url=dispatcher.url, timeout=60) as d,
    ):
        field = await define_field(c, headers, "Fuzz score", "number")
        contact = await create(c, headers, phone=phones(1)[0], name="Fuzzed")
        group = await create_group(g, headers, "Fuzzed")
        for _ in range(100):  # the groups service learns of the contact a moment later
            if (await add_members(g, headers, group["id"], [contact["id"]]))["added"]:
                break
            await asyncio.sleep(0.2)
        started = await upload(i, headers, b"name,phone\nFromFile,+254711000111\n", no_group=True)
        assert started.status_code == 202, started.text
        job = await finished(i, headers, started.json()["id"])
        channel = await d.post(
            "/v1/channels", json={"type": "log", "name": "Fuzz"}, headers=headers
        )
        assert channel.status_code == 201, channel.text
    return {
        "channel_id": channel.json()["id"],
        "key": field["key"],
        "contact_id": contact["id"],
        "group_id": group["id"],
        "import_id": job["id"],
    }


def config(directory: Path, token: str, ids: dict[str, str]) -> Path:
    path = directory / "schemathesis.toml"
    parameters = "\n".join(f'"path.{name}" = "{value}"' for name, value in ids.items())
    path.write_text(
        f'headers = {{ Authorization = "Bearer {token}" }}\n\n[parameters]\n{parameters}\n',
        encoding="utf-8",
    )
    return path


def fuzz(service: ServiceProcess, settings_file: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            str(SCHEMATHESIS),
            "--config-file",
            str(settings_file),
            "run",
            f"{service.url}/openapi.json",
            "--checks",
            CHECKS,
            "--phases",
            PHASES,
            "--max-examples",
            str(EXAMPLES_PER_OPERATION),
            "--seed",
            "20261130",
            "--generation-database",
            "none",
            "--workers",
            "1",
            "--request-timeout",
            "30",
            "--no-color",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=settings_file.parent,
    )


async def test_no_5xx_and_no_answer_outside_the_documents(
    contacts_process: ServiceProcess,
    groups_process: ServiceProcess,
    importer_process: ServiceProcess,
    dispatcher_process: ServiceProcess,
    auth: TokenFactory,
    org: str,
    tmp_path: Path,
) -> None:
    services = (contacts_process, groups_process, importer_process, dispatcher_process)
    for service in services:
        service.start()
    headers = auth(org)
    ids = await seed(*services, headers)
    settings_file = config(tmp_path, headers["Authorization"].removeprefix("Bearer "), ids)

    runs = [(service, fuzz(service, settings_file)) for service in services]  # side by side
    failures = []
    for service, run in runs:
        output, _ = await asyncio.to_thread(run.communicate, timeout=240)
        if run.returncode != 0:
            failures.append(f"== {service.service} (exit {run.returncode})\n{output[-6000:]}")
        assert "generated" in output, output[-2000:]  # it really ran cases
    assert not failures, "\n".join(failures)
