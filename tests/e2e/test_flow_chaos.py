"""Chaos: the flows service is killed (SIGKILL) again and again while a group answers a
two-question survey; after each restart it goes on, and in the end every contact finished the
survey, was asked each question once (a message handed over again after a kill goes under the
same key, which the provider drops) and no answer was lost (issue 17, acceptance 5).

Size from ROSTER_FLOW_CHAOS_CONTACTS (default 40 so the suite stays short)."""

from __future__ import annotations

import asyncio
import os
import signal
from collections import defaultdict
from typing import Any

import httpx

from tests.conftest import TokenFactory
from tests.support.contacts_api import phones
from tests.support.eventually import eventually
from tests.support.fake_provider import FakeProvider, running_provider
from tests.support.flows import survey_flow
from tests.support.gateway import SIGNING_KEY, Gateway, http_channel
from tests.support.process import ServiceProcess

CONTACTS = int(os.environ.get("ROSTER_FLOW_CHAOS_CONTACTS", "24"))
KILLS = 3
QUESTIONS = {"How old are you?": "25", "Red or blue?": "red"}


def asked(provider: FakeProvider) -> dict[str, dict[str, set[str]]]:
    """By phone, by question: the message ids it came under (the provider keeps one per id)."""
    found: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for request in provider.accepted:
        for question in QUESTIONS:
            if request.body["text"].endswith(question):
                found[request.to][question].add(request.message_id)
    return found


async def respond(
    provider: FakeProvider, gateway: Gateway, stop: asyncio.Event, refused: list[str]
) -> None:
    """Each contact answers each question once, as soon as it has it; an answer the
    dispatcher's webhook did not take is sent again, as a provider retries its webhooks (and
    kept in `refused`, to show in a failure)."""
    answered: set[tuple[str, str]] = set()
    while not stop.is_set():
        for phone, questions in list(asked(provider).items()):
            for question in questions:
                if (phone, question) not in answered:
                    try:
                        await gateway.inbound(phone, QUESTIONS[question])
                    except (AssertionError, httpx.HTTPError) as exc:
                        refused.append(f"{phone} {question}: {exc!r}"[:300])
                    else:
                        answered.add((phone, question))
        await asyncio.sleep(0.2)


async def test_a_survey_survives_killed_flows_services_asking_each_question_once(
    contacts_process: ServiceProcess,
    groups_process: ServiceProcess,
    dispatcher_process: ServiceProcess,
    flows_process: ServiceProcess,
    auth: TokenFactory,
    org: str,
) -> None:
    for process in (contacts_process, groups_process, dispatcher_process, flows_process):
        process.start()
    headers = auth(org)
    processes = (contacts_process, groups_process, dispatcher_process, flows_process)
    clients = [httpx.AsyncClient(base_url=p.url, headers=headers, timeout=60) for p in processes]
    contacts, groups, dispatcher, flows = clients
    stop = asyncio.Event()
    try:
        for label, kind in (("Age", "number"), ("Colour", "text")):
            defined = await contacts.post("/v1/fields", json={"label": label, "type": kind})
        assert defined.status_code == 201, defined.text
        numbers = phones(CONTACTS)
        ids = []
        for phone in numbers:
            created = await contacts.post("/v1/contacts", json={"phone": phone})
            assert created.status_code == 201, created.text
            ids.append(created.json()["id"])
        done = (await groups.post("/v1/groups", json={"name": "Done"})).json()
        klass = (await groups.post("/v1/groups", json={"name": "Class"})).json()
        await eventually(
            lambda: groups.post(f"/v1/groups/{klass['id']}/members", json={"contact_ids": ids}),
            lambda r: r.status_code == 200 and r.json().get("refused") == 0, timeout_s=60,
        )  # fmt: skip
        await eventually(lambda: _count(groups, klass["id"]), lambda n: n == CONTACTS, 60)
        flow = await eventually(
            lambda: flows.post("/v1/flows", json=survey_flow((done["id"], "Done"))),
            lambda r: r.status_code == 201, timeout_s=30,
        )  # fmt: skip
        async with running_provider(SIGNING_KEY) as provider:
            channel_id = await http_channel(dispatcher, headers, provider, tps=50)
            gateway = Gateway(dispatcher, channel_id)
            body = {"channel_id": channel_id, "groups": [klass["id"]]}
            await eventually(
                lambda: flows.post(f"/v1/flows/{flow.json()['id']}/start/preview", json=body),
                lambda r: r.json().get("started") == CONTACTS, timeout_s=30,
            )  # fmt: skip
            started = await flows.post(f"/v1/flows/{flow.json()['id']}/start", json=body)
            assert started.json()["started"] == CONTACTS, started.text
            refused: list[str] = []
            responder = asyncio.create_task(respond(provider, gateway, stop, refused))
            for kill in range(KILLS):
                target = (kill + 1) * CONTACTS // (KILLS + 1)  # answers taken so far
                await eventually(
                    lambda: _second_asked(provider),
                    lambda n, at_least=target: n >= at_least,
                    timeout_s=120,
                )
                assert flows_process.proc is not None
                flows_process.proc.send_signal(signal.SIGKILL)
                assert flows_process.wait_exit() == -signal.SIGKILL
                await asyncio.sleep(0.5)  # answers come in while it is down
                flows_process.start()
            try:
                members = await eventually(lambda: _count(groups, done["id"]),
                                           lambda n: n == CONTACTS, timeout_s=180)  # fmt: skip
            except AssertionError as exc:
                raise AssertionError(f"{exc}; answers the webhook refused: {refused}") from exc
            stop.set()
            await responder
        seen = asked(provider)
        assert members == CONTACTS
        twice = {
            p: {q: len(ids) for q, ids in qs.items() if len(ids) > 1} for p, qs in seen.items()
        }
        assert {p: q for p, q in twice.items() if q} == {}, "a question was asked twice"
        assert all(len(seen[p]) == 2 for p in numbers)
        runs = await flows.get(f"/v1/flows/{flow.json()['id']}/runs",
                               params={"status": "completed", "limit": 100})  # fmt: skip
        finished = runs.json()["items"]
        assert len(finished) == min(CONTACTS, 100)
        assert all(r["results"]["age"]["value"] == "25" for r in finished)
        assert all(r["results"]["colour"]["category"] == "Red" for r in finished)
    finally:
        stop.set()
        for client in clients:
            await client.aclose()


async def _second_asked(provider: FakeProvider) -> int:
    """How many contacts got the second question: answers the flows service took."""
    return sum(1 for qs in asked(provider).values() if "Red or blue?" in qs)


async def _count(groups: httpx.AsyncClient, group_id: str) -> int:
    answer = await groups.get(f"/v1/groups/{group_id}")
    body: dict[str, Any] = answer.json()
    return int(body.get("member_count", -1))
