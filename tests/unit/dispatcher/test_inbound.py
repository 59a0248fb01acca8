"""Messages contacts send, as the dispatcher takes them in: the sender's number made E.164,
each message published once however often the provider delivers it, a bad message refused
with its field named (alone, in a webhook's batch: the others are kept), and every kind of
WhatsApp message read for its text."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.dispatcher.domain.commands import ReceiveInbound
from services.dispatcher.domain.errors import InvalidInbound
from services.dispatcher.domain.inbound import InboundReport, inbound_id
from services.dispatcher.entrypoints.http.inbound import whatsapp_reports
from tests.fakes.contacts import T0
from tests.fakes.dispatcher import ADMIN, FakeDispatcher


async def receive(service: FakeDispatcher, *reports: InboundReport, strict: bool = False) -> object:
    return await service.bus.handle(
        ReceiveInbound(org_id=ADMIN.org_id, channel_id="c1", messages=list(reports), strict=strict)
    )


async def test_each_message_is_published_once_with_its_sender_in_e164(
    service: FakeDispatcher,
) -> None:
    first = InboundReport("254700000001", "Stop.", "wamid.1", T0 - timedelta(seconds=3))
    receipt = await receive(service, first)
    again = await receive(service, first)  # the provider delivered it twice
    assert (receipt.accepted, receipt.repeated) == (1, 0)  # type: ignore[attr-defined]
    assert (again.accepted, again.repeated) == (0, 1)  # type: ignore[attr-defined]
    [event] = service.inbound.published
    assert (event.phone, event.text, event.kind) == ("+254700000001", "Stop.", "text")
    assert event.received_at == T0 - timedelta(seconds=3)
    assert event.message_id == inbound_id("c1", "wamid.1")
    # The same provider id on another channel is another message
    assert inbound_id("c2", "wamid.1") != event.message_id


async def test_a_time_in_the_future_or_none_is_taken_as_now(service: FakeDispatcher) -> None:
    await receive(service, InboundReport("+254700000001", "Hi", "p1", T0 + timedelta(hours=1)),
                  InboundReport("+254700000001", "Hi again", "p2", None))  # fmt: skip
    assert [e.received_at for e in service.inbound.published] == [T0, T0]


async def test_a_bad_message_is_refused_alone_or_named_in_a_batch(service: FakeDispatcher) -> None:
    with pytest.raises(InvalidInbound) as refused:
        await receive(service, InboundReport("not a phone", "Hi", "p1"), strict=True)
    assert refused.value.details["field"] == "from"
    with pytest.raises(InvalidInbound):
        await receive(service, InboundReport("+254700000001", "  ", "p2"), strict=True)
    receipt = await receive(
        service,
        InboundReport("12", "Hi", "p3"),
        InboundReport("+254700000001", "JOIN", "p4"),
        InboundReport("+254700000002", None, "p5", kind="location"),  # no text: still a message
    )
    assert receipt.accepted == 2  # type: ignore[attr-defined]
    assert [r["position"] for r in receipt.refused] == [0]  # type: ignore[attr-defined]
    assert [e.text for e in service.inbound.published] == ["JOIN", None]


def test_every_kind_of_whatsapp_message_is_read_for_its_text() -> None:
    messages = [
        {"from": "254700000001", "id": "w1", "timestamp": "1764547200", "type": "text",
         "text": {"body": "STOP"}},
        {"from": "254700000001", "id": "w2", "type": "button",
         "button": {"text": "Yes please", "payload": "yes"}},
        {"from": "254700000001", "id": "w3", "type": "interactive",
         "interactive": {"type": "list_reply", "list_reply": {"id": "a", "title": "Maths"}}},
        {"from": "254700000001", "id": "w4", "type": "image",
         "image": {"id": "m1", "caption": "my homework"}},
        {"from": "254700000001", "id": "w5", "type": "location",
         "location": {"latitude": 1, "longitude": 2}},
        {"id": "w6", "type": "text"},  # no sender: unreadable
    ]  # fmt: skip
    contacts = [{"wa_id": "254700000001", "profile": {"name": "Amina"}}]
    reports, unreadable = whatsapp_reports(messages, contacts)
    assert unreadable == 1
    assert [(r.kind, r.text) for r in reports] == [
        ("text", "STOP"), ("button", "Yes please"), ("interactive", "Maths"),
        ("image", "my homework"), ("location", None),
    ]  # fmt: skip
    assert reports[0].received_at is not None and reports[0].received_at.year == 2025
    assert {r.sender_name for r in reports} == {"Amina"}
