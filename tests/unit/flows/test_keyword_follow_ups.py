"""What follows a STOP or JOIN once the contacts service applied it: the organisation's
confirmation (once, even to a contact now stopped), its welcome and the group an opt-in joins
(at the contact's version that can join), each published once; nothing for a contact an admin
blocked meanwhile, and no second confirmation to a contact stopped already."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.flows.domain.commands import UpdateKeywords
from services.flows.domain.errors import InvalidKeywords
from shared.auth import Principal, Role
from shared.contracts.consent import ChangeContactConsent
from shared.contracts.contacts import OptInRecord
from shared.contracts.envelope import EventPayload
from shared.contracts.group_commands import AddContactToGroups
from shared.contracts.inbound import InboundMessageReceived
from shared.contracts.message_commands import SendMessage
from tests.fakes.contacts import T0
from tests.fakes.flows import FakeFlows, build_fake_flows
from tests.support.contact_events import OPTED_IN, contact_created, contact_updated, status_changed
from tests.support.events import group_created
from tests.support.messages import received

ORG = "org-1"
ADMIN = Principal(org_id=ORG, role=Role.ADMIN, subject="ada")
AMY = "+254700000001"
OPTED_OUT = OptInRecord(status="opted_out", opted_out_at=T0, opt_out_method="keyword")
KEYWORD_OPT_IN = OptInRecord(status="opted_in", opted_in_at=T0, opt_in_method="keyword")


@pytest.fixture
async def flows() -> FakeFlows:
    flows = build_fake_flows()
    await deliver(flows, group_created("g-welcome", "Welcome"))
    await flows.bus.handle(UpdateKeywords(
        by=ADMIN, opt_out={"*": ["STOP"]}, opt_in={"*": ["JOIN"]},
        reactivate_on_any_message=False, version=0, opt_out_reply="You are unsubscribed.",
        opt_in_reply="  Welcome back!  ", opt_in_group_id="g-welcome",
    ))  # fmt: skip
    return flows


async def deliver(flows: FakeFlows, event: EventPayload, sequence: int = 1) -> None:
    await flows.bus.handle(received(event, ORG, sequence=sequence))


def wrote(n: int, text: str, phone: str = AMY) -> InboundMessageReceived:
    return InboundMessageReceived(
        message_id=f"in.{n}", channel_id="ch-wa", phone=phone, text=text, kind="text",
        provider_message_id=f"w{n}", received_at=T0 + timedelta(seconds=n),
    )  # fmt: skip


def published(flows: FakeFlows) -> list[tuple[str, ...]]:
    said: list[tuple[str, ...]] = []
    for c in flows.conversations.published:
        if isinstance(c, ChangeContactConsent):
            said.append(("consent", c.contact_id, c.consent))
        elif isinstance(c, SendMessage):
            said.append(("send", c.contact_id, c.purpose, c.text, c.channel_id, c.phone,
                         c.message_id))  # fmt: skip
        elif isinstance(c, AddContactToGroups):
            said.append(("join", c.contact_id, *c.group_ids, str(c.contact_version)))
    return said


async def test_stop_is_confirmed_once_the_contact_is_stopped_and_join_welcomed_into_the_group(
    flows: FakeFlows,
) -> None:
    await deliver(flows, contact_created("amy", "Amy", AMY))
    await deliver(flows, wrote(1, "Stop."))
    assert published(flows) == [("consent", "amy", "opted_out")]  # nothing until applied

    stopped = status_changed("amy", "stopped", opt_in=OPTED_OUT)
    await deliver(flows, stopped, sequence=2)
    await deliver(flows, stopped, sequence=2)  # redelivered: confirmed once all the same
    await deliver(flows, wrote(2, "hello"))
    await deliver(flows, wrote(3, "JOIN"))
    await deliver(flows, status_changed("amy", "active", "stopped", KEYWORD_OPT_IN), sequence=3)

    assert published(flows) == [
        ("consent", "amy", "opted_out"),
        ("send", "amy", "opt_out_confirmation", "You are unsubscribed.", "ch-wa", AMY,
         "in.1:reply"),
        ("consent", "amy", "opted_in"),
        ("send", "amy", "opt_in_welcome", "Welcome back!", "ch-wa", AMY, "in.3:reply"),
        ("join", "amy", "g-welcome", "3"),
    ]  # fmt: skip
    assert flows.conversations.follow_ups == {}


async def test_a_new_numbers_join_is_welcomed_once_its_consent_is_recorded(
    flows: FakeFlows,
) -> None:
    await deliver(flows, wrote(1, "join", "+254711111111"))
    await deliver(flows, contact_created("new", None, "+254711111111"))
    assert published(flows) == [("consent", "new", "opted_in")]

    await deliver(flows, contact_updated("new", opt_in=KEYWORD_OPT_IN), sequence=2)

    assert published(flows)[1:] == [
        ("send", "new", "opt_in_welcome", "Welcome back!", "ch-wa", "+254711111111", "in.1:reply"),
        ("join", "new", "g-welcome", "2"),
    ]  # fmt: skip


async def test_a_contact_stopped_already_gets_no_second_confirmation(flows: FakeFlows) -> None:
    await deliver(flows, contact_created("amy", "Amy", AMY, status="stopped"))
    await deliver(flows, wrote(1, "STOP"))

    assert published(flows) == [("consent", "amy", "opted_out")]
    assert flows.conversations.follow_ups == {}


async def test_a_contact_opted_in_already_is_welcomed_into_the_group_at_once(
    flows: FakeFlows,
) -> None:
    await deliver(flows, contact_created("amy", "Amy", AMY, opt_in=OPTED_IN))
    await deliver(flows, wrote(1, "JOIN"))

    assert [p[0] for p in published(flows)] == ["consent", "send", "join"]


async def test_a_contact_blocked_before_its_join_was_applied_gets_nothing(
    flows: FakeFlows,
) -> None:
    await deliver(flows, contact_created("amy", "Amy", AMY, status="stopped"))
    await deliver(flows, wrote(1, "JOIN"))
    await deliver(flows, status_changed("amy", "blocked", "stopped"), sequence=2)

    assert published(flows) == [("consent", "amy", "opted_in")]
    assert len(flows.conversations.follow_ups) == 1  # owed still, never due


async def test_the_opt_in_group_must_be_one_of_the_organisations(flows: FakeFlows) -> None:
    with pytest.raises(InvalidKeywords):
        await flows.bus.handle(UpdateKeywords(
            by=ADMIN, opt_out={"*": ["STOP"]}, opt_in={"*": ["JOIN"]},
            reactivate_on_any_message=False, version=1, opt_in_group_id="g-nope",
        ))  # fmt: skip
    saved = await flows.keywords.get(ORG)
    assert (saved.version, saved.opt_in_group_id, saved.opt_in_reply) == (
        1, "g-welcome", "Welcome back!")  # fmt: skip
