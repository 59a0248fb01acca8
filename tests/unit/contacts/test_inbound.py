"""Messages contacts send, as the contacts service reads them: the sender found by phone and
marked seen, or created (no name, the organisation's language, consent unknown); a message
read twice or late never creates a second contact nor moves `last_seen_at` back; and the
consent contacts give or withdraw by keyword (STOP, JOIN), applied by the contact's rules."""

from __future__ import annotations

from datetime import timedelta

from services.contacts.domain.commands import ChangeContactStatus, UpdateOrganization
from shared.contracts.consent import ChangeContactConsent
from shared.contracts.contacts import ContactCreated, ContactStatusChanged, ContactUpdated
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


def consent(contact_id: str, given: str, seconds: int = 0) -> ChangeContactConsent:
    return ChangeContactConsent(
        contact_id=contact_id, consent=given, method="keyword", actor="flows:keyword",  # type: ignore[arg-type]
        reason="keyword", requested_at=T0 + timedelta(seconds=seconds),
    )  # fmt: skip


async def test_stop_and_join_by_keyword_follow_the_contacts_rules(
    service: ContactsHarness,
) -> None:
    contact = await service.create(PHONE, name="Amina")
    service.clock.advance(10)
    await service.receive(consent(contact.id, "opted_out", 10), None)
    await service.receive(consent(contact.id, "opted_out", 10), None)  # said twice: one change
    stopped = await service.stored(contact.id)
    assert stopped.status.value == "stopped" and stopped.opt_in.status == "opted_out"
    assert stopped.opt_in.opt_out_method == "keyword"
    changes = service.outbox.of_type(ContactStatusChanged)
    assert [(c.to_status, c.actor) for c in changes] == [("stopped", "flows:keyword")]
    service.clock.advance(10)
    await service.receive(consent(contact.id, "opted_in", 20), None)
    joined = await service.stored(contact.id)
    assert joined.status.value == "active" and joined.opt_in.status == "opted_in"
    assert joined.opt_in.opt_in_method == "keyword"
    # A STOP said before the organisation's own later change does not undo it
    await service.receive(consent(contact.id, "opted_out", 15), None)
    assert (await service.stored(contact.id)).status.value == "active"


async def test_join_records_consent_of_a_new_contact_and_never_unblocks(
    service: ContactsHarness,
) -> None:
    new = await service.create(PHONE)
    await service.receive(consent(new.id, "opted_in"), None)
    stored = await service.stored(new.id)
    assert stored.status.value == "active" and stored.opt_in.status == "opted_in"
    blocked = await service.create("+254700000002")
    await service.bus.handle(
        ChangeContactStatus(by=principal(), contact_id=blocked.id, status="blocked")
    )
    service.clock.advance(5)
    await service.receive(consent(blocked.id, "opted_in", 5), None)
    assert (await service.stored(blocked.id)).status.value == "blocked"
