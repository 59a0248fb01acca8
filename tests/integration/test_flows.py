"""A two-question survey end to end, imported from a RapidPro export and run for a group
through the public APIs and a provider played by a real HTTP server: respondents answering
both are moved to "Survey completed" with their answers in fields, an answer out of range is
asked again, those who never answer expire; an export with an action this service does not
run is reported with the node and the action named (issue 17, acceptance 3 and 4)."""

from __future__ import annotations

import asyncio
import os
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from services.flows.bootstrap import FlowsService
from tests.conftest import TokenFactory
from tests.support.contacts_api import create, define_field, phones
from tests.support.eventually import eventually
from tests.support.fake_provider import running_provider
from tests.support.flows import export_file, survey_flow
from tests.support.gateway import SIGNING_KEY, Gateway, http_channel, received_by
from tests.support.groups_api import add_members, create_group, known_to_groups, member_ids

# A third answer well, a third first out of range, a third never. The 1,000 is run the
# same way with ROSTER_SURVEY_CONTACTS set.
PEOPLE = int(os.environ.get("ROSTER_SURVEY_CONTACTS", "12"))
EXPIRE_MINUTES = max(1, PEOPLE // 100)
WAIT_S = 30 + PEOPLE / 10  # for each step of everyone: 1,000 questions take a minute or so here
Q1, Q2 = "How old are you?", "Thanks! Red or blue?"


async def test_an_imported_survey_moves_respondents_and_expires_the_silent(
    client: httpx.AsyncClient,
    groups_client: httpx.AsyncClient,
    dispatcher_client: httpx.AsyncClient,
    flows_client: httpx.AsyncClient,
    flows_service: FlowsService,
    auth: TokenFactory,
    org: str,
) -> None:
    headers = auth(org)
    await define_field(client, headers, "Age", "number")
    await define_field(client, headers, "Colour")
    numbers = phones(PEOPLE)
    people = [await create(client, headers, phone=p, name=f"P{i}") for i, p in enumerate(numbers)]
    ids = [p["id"] for p in people]
    klass = await create_group(groups_client, headers, "Class 4")
    completed = await create_group(groups_client, headers, "Survey completed")
    await known_to_groups(groups_client, headers, ids)
    await add_members(groups_client, headers, klass["id"], ids)

    # A RapidPro export: its group named by RapidPro's uuid is found by name here.
    survey = survey_flow(("0c9d7e2b-rapidpro", "survey completed"), expire_minutes=EXPIRE_MINUTES)
    webhook = {**survey_flow(("x", "Survey completed")), "name": "Calls out", "uuid": "w1"}
    webhook["nodes"] = [dict(n) for n in webhook["nodes"]]
    webhook["nodes"][2] = {
        **webhook["nodes"][2],
        "actions": [{"uuid": "hook", "type": "call_webhook", "method": "GET", "url": "http://x"}],
    }

    async def imported() -> httpx.Response:
        return await flows_client.post(
            "/v1/flows/import", json=export_file(survey, webhook), headers=headers
        )

    report = (await eventually(imported, lambda r: r.json().get("created") != [])).json()
    [flow] = report["created"]
    [refused] = report["refused"]
    assert refused["name"] == "Calls out"
    assert [(p["node"], p["action"]) for p in refused["problems"]] == [("n-done", "call_webhook")]

    async with running_provider(SIGNING_KEY) as provider:
        channel_id = await http_channel(dispatcher_client, headers, provider, tps=500)
        gateway = Gateway(dispatcher_client, channel_id)
        body = {"channel_id": channel_id, "groups": [klass["id"]]}

        async def preview() -> dict[str, Any]:
            url = f"/v1/flows/{flow['id']}/start/preview"
            return dict((await flows_client.post(url, json=body, headers=headers)).json())

        await eventually(preview, lambda p: p.get("started") == PEOPLE)
        began = time.monotonic()
        started = await flows_client.post(
            f"/v1/flows/{flow['id']}/start", json=body, headers=headers
        )
        assert started.status_code == 202 and started.json()["started"] == PEOPLE, started.text

        async def asked(phone: str, times: int, question: str) -> None:
            """The last thing the contact got is the question, asked `times` in all."""

            def so(texts: list[str]) -> bool:
                asking = [t for t in texts if t.endswith(question)]
                return bool(texts) and texts[-1].endswith(question) and len(asking) == times

            await eventually(lambda: received_by(provider, phone), so, timeout_s=WAIT_S)

        well, late, silent = numbers[0::3], numbers[1::3], numbers[2::3]
        await asyncio.gather(*(asked(p, 1, Q1) for p in numbers))
        for phone in well:
            await gateway.inbound(phone, "I am 31")
        for phone in late:
            await gateway.inbound(phone, "two hundred and 200")
        await asyncio.gather(*(asked(p, 2, Q1) for p in late))
        for phone in late:
            await gateway.inbound(phone, "17")
        await asyncio.gather(*(asked(p, 1, Q2) for p in well + late))
        for n, phone in enumerate(well + late):
            await gateway.inbound(phone, "Red!" if n % 2 else "blue please")

        respondents = {ids[numbers.index(p)] for p in well + late}
        await eventually(
            lambda: member_ids(groups_client, headers, completed["id"]),
            lambda members: members == respondents,
            timeout_s=WAIT_S,
        )
        finished_s = time.monotonic() - began
        # Printed, not asserted (no timed tests): the 1,000 is measured this way.
        print(f"\nsurvey: {PEOPLE} contacts, respondents done {finished_s:.1f} s after the start")
        for n, phone in enumerate(well + late):
            contact_id = ids[numbers.index(phone)]
            contact = await eventually(
                lambda c=contact_id: _contact(client, headers, c),
                lambda c: "colour" in c["fields"],
                timeout_s=WAIT_S,
            )
            assert contact["fields"]["age"]["value"] == (31 if phone in well else 17)
            assert contact["fields"]["colour"]["text"] == ("Red" if n % 2 else "Blue")
            # The goodbye goes out through the dispatcher, after the fields were changed.
            texts = await eventually(
                lambda p=phone: received_by(provider, p),
                lambda t, i=numbers.index(phone): bool(t) and t[-1].startswith(f"Done, P{i}: "),
                timeout_s=WAIT_S,
            )
            assert len(texts) == (3 if phone in well else 4)  # no question twice but a re-ask

        completed_runs = await _all_runs(flows_client, headers, flow["id"], "completed")
        assert len(completed_runs) == len(respondents)
        # The silent's minute is not waited out (a minute of the suite): their runs' expiry is
        # moved into the past in the flows service's store, and the sweep that finds runs due,
        # and what expiring does, then run as they would.
        past = datetime.now(UTC) - timedelta(seconds=1)
        await flows_service.uow.runs.collection.update_many(  # type: ignore[attr-defined]
            {"flow_id": flow["id"], "status": "waiting"},
            {"$set": {"expires_at": past, "wake_at": past}},
        )
        expired = await eventually(
            lambda: _all_runs(flows_client, headers, flow["id"], "expired"),
            lambda r: len(r) == len(silent),
            timeout_s=60 * EXPIRE_MINUTES + 60,
            interval_s=1,
        )
        assert {r["contact_id"] for r in expired} == {ids[numbers.index(p)] for p in silent}
        for phone in silent:
            assert await received_by(provider, phone) == [f"Hi P{numbers.index(phone)}! {Q1}"]

        csv = await flows_client.get(f"/v1/flows/{flow['id']}/results.csv", headers=headers)
        assert csv.status_code == 200
        rows = csv.text.lstrip("\ufeff").splitlines()
        assert rows[0].split(",")[5:] == [
            "Age value",
            "Age category",
            "Colour value",
            "Colour category",
        ]
        assert len(rows) == PEOPLE + 1


async def _contact(client: httpx.AsyncClient, headers: dict[str, str], contact_id: str) -> Any:
    return (await client.get(f"/v1/contacts/{contact_id}", headers=headers)).json()


async def _all_runs(
    flows_client: httpx.AsyncClient, headers: dict[str, str], flow_id: str, status: str
) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"status": status, "limit": 100}
        if cursor:
            params["cursor"] = cursor
        answer = await flows_client.get(f"/v1/flows/{flow_id}/runs", params=params, headers=headers)
        found += answer.json()["items"]
        cursor = answer.json()["next_cursor"]
        if not cursor:
            return found
