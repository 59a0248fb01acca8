"""Flows through the flows service's bus: kept (refused with each unsupported part named),
imported from a RapidPro export, started for a group (preview first, exclusions, one active
run per contact), moved by what contacts write, woken by timeouts and expiry; every change a
run makes is a command for the service that owns it, and each is asked once."""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest

from services.flows.domain.commands import (
    CreateFlow,
    DeleteFlow,
    ImportFlows,
    StartFlow,
    UpdateFlow,
    WakeRuns,
)
from services.flows.domain.errors import InvalidFlow, InvalidStart, VersionConflict
from services.flows.domain.flows import Flow
from services.flows.service_layer.results import ImportReport, StartOutcome
from shared.auth import Principal, Role
from shared.contactql.errors import QueryError
from shared.contracts.contact_commands import ChangeContactFields
from shared.contracts.envelope import EventPayload
from shared.contracts.group_commands import AddContactToGroups
from shared.contracts.inbound import InboundMessageReceived
from shared.contracts.message_commands import SendMessage
from tests.fakes.contacts import T0
from tests.fakes.flows import FakeFlows, build_fake_flows
from tests.support.contact_events import contact_created, contact_updated, status_changed
from tests.support.events import field_defined, group_created, membership_changed
from tests.support.flows import export_file, survey_flow
from tests.support.messages import received

ORG = "org-1"
ADMIN = Principal(org_id=ORG, role=Role.ADMIN, subject="ada")
PEOPLE = {f"c{i}": f"+25470000000{i}" for i in range(4)}


@pytest.fixture
async def flows() -> FakeFlows:
    flows = build_fake_flows()
    await deliver(flows, group_created("g-class", "Class"), group_created("g-done", "Survey done"))
    for n, (contact_id, phone) in enumerate(PEOPLE.items()):
        await deliver(flows, contact_created(contact_id, f"Person {n}", phone))
    await deliver(flows, membership_changed("g-class", added=list(PEOPLE)), sequence=2)
    return flows


async def deliver(flows: FakeFlows, *events: EventPayload, sequence: int = 1) -> None:
    for event in events:
        await flows.bus.handle(received(event, ORG, sequence=sequence))


async def survey(flows: FakeFlows, **options: object) -> Flow:
    flow = await flows.bus.handle(
        CreateFlow(by=ADMIN, definition=survey_flow(("g-done", "Survey done"), **options))  # type: ignore[arg-type]
    )
    assert isinstance(flow, Flow)
    return flow


async def start(flows: FakeFlows, flow: Flow, **options: object) -> StartOutcome:
    outcome = await flows.bus.handle(
        StartFlow(by=ADMIN, flow_id=flow.id, channel_id="ch-1", **options)  # type: ignore[arg-type]
    )
    assert isinstance(outcome, StartOutcome)
    return outcome


n_sent = 0


async def answer(flows: FakeFlows, contact_id: str, text: str) -> None:
    global n_sent
    n_sent += 1
    await deliver(flows, InboundMessageReceived(
        message_id=f"in.{n_sent}", channel_id="ch-1", phone=PEOPLE[contact_id], text=text,
        kind="text", provider_message_id=f"w{n_sent}", received_at=T0,
    ))  # fmt: skip


def sent_to(flows: FakeFlows, contact_id: str) -> list[str]:
    return [c.text for c in flows.runs.published
            if isinstance(c, SendMessage) and c.contact_id == contact_id]  # fmt: skip


async def run_of(flows: FakeFlows, contact_id: str) -> dict[str, object]:
    [run] = await flows.runs.page(ORG, contact_id=contact_id, limit=5)
    return {"status": run.status, **{k: r.category for k, r in run.results.items()}}


async def test_a_survey_for_a_group_moves_respondents_and_keeps_their_answers(
    flows: FakeFlows,
) -> None:
    flow = await survey(flows)
    preview = await start(flows, flow, groups=["g-class"], preview=True)
    assert (preview.started, flows.runs.stored) == (4, {})

    outcome = await start(flows, flow, groups=["g-class"])

    assert outcome.started == 4
    assert sent_to(flows, "c0") == ["Hi Person! How old are you?"]
    await answer(flows, "c0", "31")
    await answer(flows, "c0", "blue")
    await answer(flows, "c1", "I am 250")  # out of range: asked again
    await answer(flows, "c1", "17")
    await answer(flows, "c1", "green")  # not a colour offered: asked again
    assert await run_of(flows, "c0") == {"status": "completed", "age": "Valid", "colour": "Blue"}
    assert await run_of(flows, "c1") == {"status": "waiting", "age": "Valid", "colour": "Other"}
    assert sent_to(flows, "c1")[-1] == "Thanks! Red or blue?"
    [join] = [c for c in flows.runs.published if isinstance(c, AddContactToGroups)]
    assert (join.contact_id, join.group_ids, join.actor) == ("c0", ["g-done"], f"flow:{flow.id}")
    [fields] = [c for c in flows.runs.published if isinstance(c, ChangeContactFields)]
    assert (fields.contact_id, fields.fields) == ("c0", {"age": "31", "colour": "Blue"})
    assert sent_to(flows, "c0")[-1] == "Done, Person 0: 31 and Blue."
    ids = [c.message_id for c in flows.runs.published if isinstance(c, SendMessage)]
    assert len(ids) == len(set(ids))  # each message asked for once


async def test_a_later_move_sees_what_the_run_changed_until_the_copy_moves_on(
    flows: FakeFlows,
) -> None:
    definition = copy.deepcopy(survey_flow(("g-done", "Survey done")))
    nodes = definition["nodes"]
    nodes[0]["actions"].insert(0, {"uuid": "a-nick", "type": "set_contact_name", "name": "Ama"})
    nodes[1]["actions"][0]["text"] = "Thanks @contact.name! Red or blue?"
    flow = await flows.bus.handle(CreateFlow(by=ADMIN, definition=definition))
    assert isinstance(flow, Flow)
    await start(flows, flow, contact_ids=["c0", "c1"])

    await answer(flows, "c0", "31")  # a new move: the copy still says "Person 0"
    assert sent_to(flows, "c0")[-1] == "Thanks Ama! Red or blue?"
    # c1's copy moved on meanwhile (an admin renamed them after the flow did): the copy wins.
    await deliver(flows, contact_updated("c1", name="Kofi"), sequence=5)
    await answer(flows, "c1", "40")
    assert sent_to(flows, "c1")[-1] == "Thanks Kofi! Red or blue?"


async def test_a_message_delivered_twice_moves_a_run_once(flows: FakeFlows) -> None:
    await start(flows, await survey(flows), contact_ids=["c0"])
    message = InboundMessageReceived(message_id="in.dup", channel_id="ch-1", phone=PEOPLE["c0"],
                                     text="31", kind="text", provider_message_id="dup",
                                     received_at=T0)  # fmt: skip
    await deliver(flows, message)
    flows.conversations.messages.clear()  # read again after a crash before it was recorded
    flows.conversations.routed.clear()
    await deliver(flows, message)
    assert sent_to(flows, "c0") == ["Hi Person! How old are you?", "Thanks! Red or blue?"]


async def test_starts_skip_or_interrupt_and_never_reach_who_may_not_be_reached(
    flows: FakeFlows,
) -> None:
    flow = await survey(flows)
    await deliver(flows, status_changed("c3", "stopped"), sequence=3)
    first = await start(flows, flow, contact_ids=["c0", "c1", "nobody"])
    assert (first.started, dict(first.skipped)) == (2, {"contact_deleted": 1})

    again = await start(flows, flow, groups=["g-class"], exclude_in_a_flow=True,
                        started_previously_days=1)  # fmt: skip
    assert (again.started, dict(again.skipped)) == (1, {"started_previously": 2, "stopped": 1})
    busy = await start(flows, flow, groups=["g-class"], exclude_in_a_flow=True)
    assert (busy.started, dict(busy.skipped)) == (0, {"in_a_flow": 3, "stopped": 1})

    flows.clock.advance(2 * 24 * 3600)
    interrupting = await start(flows, flow, contact_ids=["c0"])
    assert (interrupting.started, interrupting.interrupted) == (1, 1)
    statuses = sorted(r.status for r in flows.runs.stored.values() if r.contact_id == "c0")
    assert statuses == ["interrupted", "waiting"]
    with pytest.raises(InvalidStart):
        await start(flows, flow, groups=["no-such-group"])


async def test_a_start_for_a_query_reaches_whom_it_matches_as_rapidpro_reads_it(
    flows: FakeFlows,
) -> None:
    """RapidPro's "start for contacts matching": its printed form, read against the copy of
    the organisation's fields (a field defined a moment ago is known once its event came)."""
    flow = await survey(flows)
    query = 'name = "Person 1" OR urns.tel = "+254700000002"'
    preview = await flows.bus.handle(
        StartFlow(by=ADMIN, flow_id=flow.id, channel_id="ch-1", query=query, preview=True)
    )
    assert isinstance(preview, StartOutcome) and preview.started == 2
    both = await start(flows, flow, query=query, contact_ids=["c1", "c0"])
    assert (both.started, dict(both.skipped)) == (3, {})  # c1 counted once
    assert sent_to(flows, "c2") and sent_to(flows, "c1") and not sent_to(flows, "c3")

    in_no_group = await start(flows, flow, query='group = ""')
    assert in_no_group.started == 0  # everyone is in Class

    with pytest.raises(QueryError) as foreign:
        await start(flows, flow, query="twitter:bobby")
    assert foreign.value.code == "unknown_property"
    with pytest.raises(QueryError) as unknown:
        await start(flows, flow, query="age > 3")
    assert unknown.value.code == "unknown_property"
    await deliver(flows, field_defined("age", "number"), sequence=5)
    assert (await start(flows, flow, query="fields.age > 3")).started == 0


async def test_a_start_repeated_with_its_key_asks_nobody_twice(flows: FakeFlows) -> None:
    flow = await survey(flows)
    # The first call started c0 only (then the answer was lost, or the service died).
    first = await start(flows, flow, contact_ids=["c0"], idempotency_key="k-1")
    assert (first.started, first.interrupted) == (1, 0)

    retry = await start(flows, flow, contact_ids=["c0", "c1"], idempotency_key="k-1")

    assert (retry.started, retry.interrupted) == (2, 0)
    assert len(sent_to(flows, "c0")) == 1 and len(sent_to(flows, "c1")) == 1
    assert [r.status for r in flows.runs.stored.values() if r.contact_id == "c0"] == ["waiting"]
    other_key = await start(flows, flow, contact_ids=["c0"], idempotency_key="k-2")
    assert (other_key.started, other_key.interrupted) == (1, 1)  # a new start, as asked
    assert len(sent_to(flows, "c0")) == 2


async def test_silence_times_out_and_runs_expire(flows: FakeFlows) -> None:
    flow = await survey(flows, timeout_s=600, expire_minutes=30)
    await start(flows, flow, contact_ids=["c0", "c1"])
    await answer(flows, "c1", "40")  # now waiting for a colour: no timeout there

    flows.clock.advance(601)
    assert await flows.bus.handle(WakeRuns()) == 1
    assert await run_of(flows, "c0") == {"status": "completed", "age": "No Response"}

    flows.clock.advance(30 * 60)
    await flows.bus.handle(WakeRuns())
    assert (await run_of(flows, "c1"))["status"] == "expired"
    assert await flows.bus.handle(WakeRuns()) == 0


async def test_a_flow_is_refused_with_each_unsupported_part_and_imports_report_them(
    flows: FakeFlows,
) -> None:
    broken = copy.deepcopy(survey_flow(("g-done", "Survey done")))
    broken["name"] = "Webhooks"
    broken["nodes"][0]["actions"].append({"uuid": "w", "type": "call_webhook", "url": "x"})
    with pytest.raises(InvalidFlow) as refused:
        await flows.bus.handle(CreateFlow(by=ADMIN, definition=broken))
    assert refused.value.details["problems"] == [{
        "code": "unsupported_action", "message": "action call_webhook is not run here",
        "node": "n-age", "action": "call_webhook"}]  # fmt: skip

    from_rapidpro = survey_flow(("rapidpro-group-uuid", "SURVEY DONE"))  # found by name
    report = await flows.bus.handle(ImportFlows(by=ADMIN, export=export_file(from_rapidpro,
                                                                             broken)))  # fmt: skip
    assert isinstance(report, ImportReport)
    [created] = report.created
    assert created.definition["nodes"][2]["actions"][0]["groups"][0]["uuid"] == "g-done"
    [(name, problems)] = [(r["name"], r["problems"]) for r in report.refused]
    assert name == "Webhooks" and [p["action"] for p in problems] == ["call_webhook"]


async def test_flows_change_at_the_version_read_and_deleted_ones_end_their_runs(
    flows: FakeFlows,
) -> None:
    flow = await survey(flows)
    await start(flows, flow, contact_ids=["c0"])
    changed = copy.deepcopy(flow.definition)
    changed["nodes"][1]["actions"][0]["text"] = "Red, blue or green?"
    with pytest.raises(VersionConflict):
        await flows.bus.handle(UpdateFlow(by=ADMIN, flow_id=flow.id, definition=changed,
                                          version=7))  # fmt: skip
    await flows.bus.handle(UpdateFlow(by=ADMIN, flow_id=flow.id, definition=changed, version=1))
    await answer(flows, "c0", "20")
    assert sent_to(flows, "c0")[-1] == "Red, blue or green?"  # the new definition from here

    await flows.bus.handle(DeleteFlow(by=ADMIN, flow_id=flow.id))
    await answer(flows, "c0", "red")
    assert (await run_of(flows, "c0"))["status"] == "interrupted"
    flows.clock.advance(timedelta(days=1).total_seconds())


async def test_stop_ends_the_run_the_contact_waits_in(flows: FakeFlows) -> None:
    await start(flows, await survey(flows), contact_ids=["c0"])
    await answer(flows, "c0", "Stop")
    assert (await run_of(flows, "c0"))["status"] == "interrupted"
    assert sent_to(flows, "c0") == ["Hi Person! How old are you?"]
