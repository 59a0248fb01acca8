"""Keyword triggers through the flows service's bus: the most specific matching trigger starts
its flow for the sender (a keyword before the catch-all, a named channel, groups, `only` before
`starts_with`); opt-out keywords and waiting runs always come first; a message delivered twice
starts one run; triggers are checked whole when kept."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.flows.domain.commands import CreateFlow, CreateTrigger, DeleteTrigger, UpdateTrigger
from services.flows.domain.errors import VersionConflict
from services.flows.domain.flows import Flow
from services.flows.domain.triggers import Trigger
from services.flows.service_layer.trigger_handlers import DuplicateTrigger
from shared.auth import Principal, Role
from shared.contracts.consent import ChangeContactConsent
from shared.contracts.envelope import EventPayload
from shared.contracts.inbound import InboundMessageReceived
from shared.contracts.message_commands import SendMessage
from shared.errors import DomainError
from tests.fakes.contacts import T0
from tests.fakes.flows import FakeFlows, build_fake_flows
from tests.support.contact_events import contact_created
from tests.support.events import group_created, membership_changed
from tests.support.messages import received

ORG = "org-1"
ADMIN = Principal(org_id=ORG, role=Role.ADMIN, subject="ada")
AMY, BEN = "+254700000001", "+254700000002"


def hello_flow(text: str) -> dict[str, object]:
    """One node: says `text`, then the run ends."""
    return {
        "uuid": f"f-{text}",
        "name": text,
        "spec_version": "13.1.0",
        "language": "eng",
        "type": "messaging",
        "nodes": [
            {
                "uuid": "n1",
                "actions": [{"uuid": "a1", "type": "send_msg", "text": text}],
                "exits": [{"uuid": "e1", "destination_uuid": None}],
            }
        ],
    }


@pytest.fixture
async def flows() -> FakeFlows:
    flows = build_fake_flows()
    for event in (
        group_created("g-vip", "VIP"),
        contact_created("amy", "Amy", AMY),
        contact_created("ben", "Ben", BEN),
    ):
        await deliver(flows, event)
    await deliver(flows, membership_changed("g-vip", added=["amy"]), sequence=2)
    return flows


async def deliver(flows: FakeFlows, event: EventPayload, sequence: int = 1) -> None:
    await flows.bus.handle(received(event, ORG, sequence=sequence))


async def flow(flows: FakeFlows, text: str) -> str:
    made = await flows.bus.handle(CreateFlow(by=ADMIN, definition=hello_flow(text)))
    assert isinstance(made, Flow)
    return made.id


async def trigger(
    flows: FakeFlows, flow_id: str, keyword: str | None, **options: object
) -> Trigger:
    made = await flows.bus.handle(
        CreateTrigger(by=ADMIN, flow_id=flow_id, keyword=keyword, **options)
    )  # type: ignore[arg-type]
    assert isinstance(made, Trigger)
    flows.clock.advance(1)
    return made


n_sent = 0


def wrote(phone: str, text: str, channel: str = "ch-1") -> InboundMessageReceived:
    global n_sent
    n_sent += 1
    return InboundMessageReceived(
        message_id=f"in.{n_sent}",
        channel_id=channel,
        phone=phone,
        text=text,
        kind="text",
        provider_message_id=f"w{n_sent}",
        received_at=T0 + timedelta(seconds=n_sent),
    )


def replies(flows: FakeFlows, contact_id: str) -> list[tuple[str, str]]:
    return [
        (c.text, c.channel_id)
        for c in flows.runs.published
        if isinstance(c, SendMessage) and c.contact_id == contact_id
    ]


async def test_the_most_specific_trigger_starts_its_flow(flows: FakeFlows) -> None:
    catch_all = await flow(flows, "Sorry, we did not get that")
    await trigger(flows, catch_all, None)
    await trigger(flows, await flow(flows, "News for everyone"), "news", match="starts_with")
    await trigger(
        flows,
        await flow(flows, "News for VIPs"),
        "NEWS",
        match="starts_with",
        include_groups=["g-vip"],
    )
    await trigger(
        flows,
        await flow(flows, "News on WhatsApp"),
        "news",
        match="starts_with",
        channel_id="ch-wa",
    )

    await deliver(flows, wrote(AMY, "News please"))
    await deliver(flows, wrote(BEN, "news!"))
    await deliver(flows, wrote(BEN, "NEWS today", channel="ch-wa"))
    await deliver(flows, wrote(BEN, "what?"))

    assert replies(flows, "amy") == [("News for VIPs", "ch-1")]
    assert replies(flows, "ben") == [
        ("News for everyone", "ch-1"),
        ("News on WhatsApp", "ch-wa"),
        ("Sorry, we did not get that", "ch-1"),
    ]


async def test_opt_out_words_and_waiting_runs_come_before_triggers(flows: FakeFlows) -> None:
    await trigger(flows, await flow(flows, "Caught"), None)
    await deliver(flows, wrote(AMY, "STOP"))
    assert replies(flows, "amy") == []
    assert any(isinstance(c, ChangeContactConsent) for c in flows.conversations.published)


async def test_a_message_delivered_twice_starts_one_run(flows: FakeFlows) -> None:
    await trigger(flows, await flow(flows, "Hello"), "hi")
    message = wrote(AMY, "hi")
    await deliver(flows, message)
    flows.conversations.messages.clear()  # read again after a crash before it was recorded
    flows.conversations.routed.clear()
    await deliver(flows, message)
    assert replies(flows, "amy") == [("Hello", "ch-1")]


async def test_triggers_are_checked_whole_and_changed_at_the_version_read(
    flows: FakeFlows,
) -> None:
    hello = await flow(flows, "Hello")
    kept = await trigger(flows, hello, "join2")
    for bad in (
        {"keyword": "two words"},
        {"keyword": "x" * 17},
        {"flow_id": "nope"},
        {"include_groups": ["g-nope"]},
        {"match": "contains"},
    ):
        with pytest.raises(DomainError) as refused:
            await flows.bus.handle(
                CreateTrigger(by=ADMIN, **{"flow_id": hello, "keyword": "k", **bad})
            )  # type: ignore[arg-type]
        assert getattr(refused.value, "code", None) in ("invalid_trigger", "not_found")
    with pytest.raises(DuplicateTrigger):
        await flows.bus.handle(CreateTrigger(by=ADMIN, flow_id=hello, keyword="JOIN2"))
    with pytest.raises(VersionConflict):
        await flows.bus.handle(
            UpdateTrigger(by=ADMIN, trigger_id=kept.id, changes={"keyword": "other"}, version=5)
        )
    changed = await flows.bus.handle(
        UpdateTrigger(by=ADMIN, trigger_id=kept.id, changes={"keyword": "Other"}, version=1)
    )
    assert (changed.keyword, changed.version) == ("other", 2)
    await flows.bus.handle(DeleteTrigger(by=ADMIN, trigger_id=kept.id))
    assert await flows.triggers.of_org(ORG) == []


async def test_an_answer_redelivered_after_its_run_ended_starts_nothing(
    flows: FakeFlows,
) -> None:
    await trigger(flows, await flow(flows, "Sorry?"), None)  # the catch-all
    await trigger(flows, await flow(flows, "Hello"), "hi")
    message = wrote(AMY, "hi")
    await deliver(flows, message)  # starts "Hello", which ends at once
    await deliver(flows, message)  # delivered again
    assert replies(flows, "amy") == [("Hello", "ch-1")]
