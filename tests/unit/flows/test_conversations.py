"""Contacts' conversations, kept by the flows service from the dispatcher's message events:
newest first, each message's status moved forward only (repeated and out-of-order events
never move one back, and never lose what it said), visible to staff only for contacts in
their groups, gone with a contact deleted or anonymized; what contacts write joins the same
conversation, found by phone, or waits for the contact a new number becomes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.flows.domain.errors import ContactNotFound
from services.flows.service_layer.queries import contact_messages
from shared.auth import Principal, Role
from shared.contracts.envelope import EventPayload
from shared.contracts.inbound import InboundMessageReceived
from shared.contracts.messages import MessageDelivered, MessageFailed, MessageRead, MessageSent
from tests.fakes.contacts import T0
from tests.fakes.flows import FakeFlows, build_fake_flows
from tests.support.contact_events import contact_anonymized, contact_created
from tests.support.events import group_created, membership_changed
from tests.support.messages import received

ORG = "org-1"
ADMIN = Principal(org_id=ORG, role=Role.ADMIN, subject="ada")
STAFF = Principal(org_id=ORG, role=Role.STAFF, subject="sam")
OTHER_ORG = Principal(org_id="org-2", role=Role.ADMIN, subject="oz")


@pytest.fixture
def flows() -> FakeFlows:
    return build_fake_flows()


async def deliver(flows: FakeFlows, *events: EventPayload, sequence: int = 1) -> None:
    await flows.bus.handle_many([received(e, ORG, sequence=sequence) for e in events])


def common(n: int, contact_id: str = "amy", minutes: int = 0) -> dict[str, object]:
    return {"message_id": f"b1.1.{contact_id}.{n}", "contact_id": contact_id,
            "broadcast_id": "b1", "channel_id": "c1",
            "at": T0 + timedelta(minutes=n, seconds=minutes)}  # fmt: skip


def sent(n: int, text: str, contact_id: str = "amy") -> MessageSent:
    return MessageSent(provider_message_id=None, text=text, **common(n, contact_id))  # type: ignore[arg-type]


async def test_messages_are_shown_newest_first_with_their_furthest_status(flows: FakeFlows) -> None:
    await deliver(flows, contact_created("amy", "Amy", "+254700000001"))
    await deliver(flows, sent(1, "Hello"), sent(2, "Class on Monday"), sent(3, "Bring a pen"))
    await deliver(
        flows,
        MessageDelivered(**common(1, minutes=5)),  # type: ignore[arg-type]
        MessageRead(**common(1, minutes=9)),  # type: ignore[arg-type]
        MessageFailed(reason="131026", **common(2, minutes=5)),
    )  # type: ignore[arg-type]
    page = await contact_messages(flows.uow, ADMIN, "amy", None, 10)
    assert [(m.text, m.status, m.reason) for m in page] == [
        ("Bring a pen", "sent", None),
        ("Class on Monday", "failed", "131026"),
        ("Hello", "read", None),
    ]
    assert all(m.direction == "out" and m.broadcast_id == "b1" for m in page)
    # Paging: older than the first message of the page
    older = await contact_messages(flows.uow, ADMIN, "amy", (page[0].at, page[0].id), 10)
    assert [m.text for m in older] == ["Class on Monday", "Hello"]


async def test_late_repeated_and_out_of_order_events_never_move_a_message_back(
    flows: FakeFlows,
) -> None:
    await deliver(flows, contact_created("amy", "Amy", "+254700000001"))
    # Delivered reported before sent (the provider's report overtook the send's answer)
    await deliver(flows, MessageRead(**common(1, minutes=9)))  # type: ignore[arg-type]
    await deliver(flows, sent(1, "Hello"))
    await deliver(flows, MessageDelivered(**common(1, minutes=5)))  # type: ignore[arg-type]
    await deliver(flows, sent(1, "Hello"))  # redelivered
    [message] = await contact_messages(flows.uow, ADMIN, "amy", None, 10)
    assert (message.status, message.text, message.at) == ("read", "Hello", common(1)["at"])


async def test_staff_see_only_contacts_in_their_groups_and_no_org_sees_anothers(
    flows: FakeFlows,
) -> None:
    await deliver(flows, contact_created("amy", "Amy", "+254700000001"),
                  contact_created("bo", "Bo", "+254700000002"))  # fmt: skip
    await deliver(flows, group_created("g1", "Class A", staff=["sam"]))
    await deliver(flows, membership_changed("g1", added=["amy"]), sequence=2)
    await deliver(flows, sent(1, "Hi Amy"), sent(2, "Hi Bo", "bo"))
    assert [m.text for m in await contact_messages(flows.uow, STAFF, "amy", None, 10)] == ["Hi Amy"]
    with pytest.raises(ContactNotFound):
        await contact_messages(flows.uow, STAFF, "bo", None, 10)
    with pytest.raises(ContactNotFound):
        await contact_messages(flows.uow, OTHER_ORG, "amy", None, 10)
    with pytest.raises(ContactNotFound):
        await contact_messages(flows.uow, ADMIN, "nobody", None, 10)


async def test_a_contact_anonymized_takes_its_conversation_with_it(flows: FakeFlows) -> None:
    await deliver(flows, contact_created("amy", "Amy", "+254700000001"))
    await deliver(flows, sent(1, "Your results: positive"))
    await deliver(flows, contact_anonymized("amy"), sequence=2)
    assert not await flows.conversations.has_messages(ORG, "amy")
    with pytest.raises(ContactNotFound):
        await contact_messages(flows.uow, ADMIN, "amy", None, 10)


def wrote(n: int, phone: str, text: str | None = "Hi", seconds: int = 0) -> InboundMessageReceived:
    return InboundMessageReceived(
        message_id=f"in.c1.{n}", channel_id="c1", phone=phone, text=text,
        kind="text" if text else "image", provider_message_id=f"w{n}",
        received_at=T0 + timedelta(hours=1, seconds=seconds),
    )  # fmt: skip


async def test_what_a_contact_writes_joins_their_conversation_with_what_they_were_told(
    flows: FakeFlows,
) -> None:
    await deliver(flows, contact_created("amy", "Amy", "+254700000001"))
    await deliver(flows, sent(1, "Class on Monday?"))
    await deliver(flows, wrote(1, "+254700000001", "Yes"), wrote(2, "+254700000001", None, 5))
    await deliver(flows, wrote(1, "+254700000001", "Yes"))  # delivered twice
    page = await contact_messages(flows.uow, ADMIN, "amy", None, 10)
    assert [(m.direction, m.kind, m.text, m.status) for m in page] == [
        ("in", "image", None, "received"),
        ("in", "text", "Yes", "received"),
        ("out", "text", "Class on Monday?", "sent"),
    ]


async def test_a_new_numbers_messages_wait_for_its_contact_and_a_blocked_ones_are_ignored(
    flows: FakeFlows,
) -> None:
    await deliver(flows, wrote(1, "+254700000009", "JOIN"))  # before its ContactCreated
    with pytest.raises(ContactNotFound):
        await contact_messages(flows.uow, ADMIN, "new", None, 10)
    await deliver(flows, contact_created("new", None, "+254700000009"))
    [joined] = await contact_messages(flows.uow, ADMIN, "new", None, 10)
    assert (joined.text, joined.contact_id, joined.direction) == ("JOIN", "new", "in")
    assert not flows.conversations.unattributed

    await deliver(flows, contact_created("bob", "Bob", "+254700000002", status="blocked"))
    await deliver(flows, wrote(2, "+254700000002", "let me in"))
    [ignored] = await contact_messages(flows.uow, ADMIN, "bob", None, 10)
    assert ignored.status == "ignored"
