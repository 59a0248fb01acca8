"""The contacts and groups services as separate processes over real Kafka and a real store."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
from typing import Any

import httpx

from tests.conftest import TokenFactory
from tests.support.contacts_api import phones
from tests.support.eventually import eventually
from tests.support.kafka import TopicTail
from tests.support.process import REPO_ROOT, ROSTER, ServiceProcess

# Contacts times groups = membership changes in the chaos test (12,000 by default, to keep the
# suite within its 15 minutes: each is two contact updates and two membership documents on the
# store; ROSTER_CHAOS_CONTACTS=10000 gives the 50,000 of earlier runs).
CHAOS_CONTACTS = int(os.environ.get("ROSTER_CHAOS_CONTACTS", "2400"))
CHAOS_GROUPS = int(os.environ.get("ROSTER_CHAOS_GROUPS", "5"))


async def create_contacts(
    http: httpx.AsyncClient, headers: dict[str, str], count: int
) -> list[str]:
    ids: list[str] = []
    numbers = phones(count)
    for start in range(0, count, 1000):
        batch = [{"phone": p} for p in numbers[start : start + 1000]]
        response = await http.post(
            "/v1/contacts/batch", json={"contacts": batch}, headers=headers, timeout=120
        )
        assert response.status_code == 200, response.text
        ids += [r["contact"]["id"] for r in response.json()["results"]]
    assert len(ids) == count
    return ids


async def add_all(
    http: httpx.AsyncClient, headers: dict[str, str], group: str, ids: list[str]
) -> dict[str, Any]:
    """Adds, retrying contacts the groups service has not seen yet (it learns them from events)."""
    pending, added = list(ids), 0
    for _ in range(120):
        response = await http.post(
            f"/v1/groups/{group}/members",
            json={"contact_ids": pending},
            headers=headers,
            timeout=300,
        )
        assert response.status_code == 200, response.text
        body = response.json()
        added += body["added"]
        pending = [r["id"] for r in body["results"] if r.get("reason") == "unknown_contact"]
        if not pending:
            return {"added": added}
        await asyncio.sleep(0.5)
    raise AssertionError(f"{len(pending)} contacts never reached the groups service")


def reconcile(
    env: dict[str, str], org: str, contacts: ServiceProcess, groups: ServiceProcess
) -> tuple[int, dict[str, Any]]:
    done = subprocess.run(
        [str(ROSTER), "reconcile", "groups", "--org", org, "--settle", "2",
         "--groups-url", groups.url, "--contacts-url", contacts.url],
        env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.stdout, done.stderr
    return done.returncode, json.loads(done.stdout.splitlines()[-1])


async def test_blocking_empties_every_group_in_both_services(
    contacts_process: ServiceProcess, groups_process: ServiceProcess, auth: TokenFactory, org: str
) -> None:
    contacts_process.start()
    groups_process.start()
    headers = auth(org)
    async with (
        httpx.AsyncClient(base_url=contacts_process.url, timeout=120) as contacts,
        httpx.AsyncClient(base_url=groups_process.url, timeout=120) as groups,
    ):
        [contact] = await create_contacts(contacts, headers, 1)
        group_ids = []
        for name in ("North", "South", "Volunteers"):
            response = await groups.post("/v1/groups", json={"name": name}, headers=headers)
            assert response.status_code == 201, response.text
            group_ids.append(response.json()["id"])
            await add_all(groups, headers, group_ids[-1], [contact])

        async def projected() -> list[str]:
            return sorted(
                (await contacts.get(f"/v1/contacts/{contact}", headers=headers)).json()["groups"]
            )

        await eventually(projected, lambda g: g == sorted(group_ids))
        async with TopicTail(
            contacts_process.env["ROSTER_KAFKA_BOOTSTRAP"],
            contacts_process.env["ROSTER_KAFKA_TOPIC_PREFIX"] + "roster.groups",
        ) as tail:
            blocked = await contacts.post(
                f"/v1/contacts/{contact}/status", json={"status": "blocked"}, headers=headers
            )
            assert blocked.status_code == 200, blocked.text
            await eventually(projected, lambda g: g == [], timeout_s=30)

            def removal(e: dict[str, Any]) -> bool:
                return e["type"] == "org.roster.GroupMembershipChanged" and e["data"][
                    "removed"
                ] == [contact]

            events = await tail.wait_for(removal, count=3, timeout_s=30)
        assert sorted(e["data"]["group_id"] for e in events) == sorted(group_ids)
        assert {e["data"]["reason"] for e in events} == {"contact_status"}

        # The groups service applies its own events too (a moment after they are published).
        async def groups_side() -> tuple[Any, list[int]]:
            answer = (await groups.get(f"/v1/memberships/{contact}", headers=headers)).json()
            counts = [
                (await groups.get(f"/v1/groups/{g}", headers=headers)).json()["member_count"]
                for g in group_ids
            ]
            return answer, counts

        await eventually(groups_side, lambda side: side == ({"items": []}, [0, 0, 0]))


async def test_killing_the_groups_service_mid_flow_leaves_no_drift(
    contacts_process: ServiceProcess, groups_process: ServiceProcess, auth: TokenFactory, org: str
) -> None:
    contacts_process.start()
    groups_process.start()
    headers = auth(org)
    env = {**os.environ, **contacts_process.env}
    async with (
        httpx.AsyncClient(base_url=contacts_process.url, timeout=120) as contacts,
        httpx.AsyncClient(base_url=groups_process.url, timeout=120) as groups,
    ):
        ids = await create_contacts(contacts, headers, CHAOS_CONTACTS)
        group_ids = []
        for i in range(CHAOS_GROUPS):
            response = await groups.post("/v1/groups", json={"name": f"Chaos {i}"}, headers=headers)
            assert response.status_code == 201, response.text
            group_ids.append(response.json()["id"])
        await add_all(groups, headers, group_ids[0], ids)  # every contact known to groups now
        for group_id in group_ids[1:]:
            body = await add_all(groups, headers, group_id, ids)
            assert body["added"] == len(ids)

        # The changes are stored as events; kill while they are published and applied.
        assert groups_process.proc is not None
        groups_process.proc.send_signal(signal.SIGKILL)
        assert groups_process.wait_exit() == -signal.SIGKILL
        groups_process.start(timeout_s=300)  # it resumes a backlog of applies at once

        async def counts() -> list[int]:
            listing = (await groups.get("/v1/groups", headers=headers)).json()["items"]
            return [g["member_count"] for g in listing]

        await eventually(
            counts, lambda c: c == [len(ids)] * CHAOS_GROUPS, timeout_s=600, interval_s=2
        )

        async def contacts_side() -> int:
            _, report = reconcile(env, org, contacts_process, groups_process)
            return int(report["drift"])

        # The contacts service catches up through the same events.
        await eventually(contacts_side, lambda drift: drift == 0, timeout_s=600, interval_s=5)
    code, report = reconcile(env, org, contacts_process, groups_process)
    assert (code, report["drift"]) == (0, 0), report
