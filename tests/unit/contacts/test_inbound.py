"""Messages contacts send, as the contacts service reads them: the sender found by phone and
marked seen, or created (no name, the organisation's language, consent unknown); a message
read twice or late never creates a second contact nor moves `last_seen_at` back."""

from __future__ import annotations

from datetime import timedelta

from services.contacts.domain.commands import UpdateOrganization
from shared.contracts.contacts import ContactCreated, ContactUpdated
from shared.contracts.inbound import InboundMessageReceived
from tests.fakes.contacts import ORG, T0, ContactsHarness, principal

PHONE = "+254700000001"


def inbound(n: int, phone: str = PHONE, seconds: int = 0) -> InboundMessageReceived:
    return InboundMessageReceived(
        message_id=f"in.c1.{n}", channel_id="c1", phone=phone, text="JOIN", kind="text",
        provider_message_id=f"w{n}", received_at=T0 + timedelta(seconds=seconds),
    )  # fmt: skip


async def test_a_known_sender_is_marked_seen_and_never_back_in_time(
    service: ContactsHarness,
) -> None:
    contact = await service.create(PHONE, name="Amina")
    await service.receive(inbound(1, seconds=30), None)
    await service.receive(inbound(2, seconds=10), None)  # delivered late
    await service.receive(inbound(1, seconds=30), None)  # delivered twice
    stored = await service.stored(contact.id)
    assert stored.last_seen_at == T0 + timedelta(seconds=30)
    seen = [e.last_seen_at for e in service.published(contact.id) if isinstance(e, ContactUpdated)]
    assert seen == [T0 + timedelta(seconds=30)]  # one change, one event
    assert await service.count_all() == 1


async def test_an_unknown_number_becomes_a_contact_once(service: ContactsHarness) -> None:
    await service.bus.handle(
        UpdateOrganization(by=principal(), changes={"default_language": "swa"})
    )
    await service.receive(inbound(1, "+254700000009", seconds=5), None)
    await service.receive(inbound(1, "+254700000009", seconds=5), None)  # read again
    [created] = service.outbox.of_type(ContactCreated)
    assert (created.phone, created.name, created.language) == ("+254700000009", None, "swa")
    assert created.opt_in.status != "opted_in" and created.status == "active"
    stored = await service.stored(created.contact_id)
    assert stored.last_seen_at == T0 + timedelta(seconds=5)
    assert await service.count_all() == 1
    # Another organisation's sender with the same number is another contact
    await service.receive(inbound(3, "+254700000009"), None, org_id="org-other")
    assert await service.count_all("org-other") == 1 and await service.count_all(ORG) == 1
