"""Messages contacts send (`InboundMessageReceived`, from the dispatcher): the sender is found
by phone, or created (no name, the organisation's default language, consent unknown, as
RapidPro and Glific do for a new number), and marked seen (`last_seen_at`, which opens
WhatsApp's 24-hour window for free text). Idempotent: a message read again finds the contact
it created and a `last_seen_at` that does not move back. What the message means (keywords,
flows) is the flows service's business; the consent it asks for when a contact says STOP or
JOIN is applied here."""

from __future__ import annotations

from services.contacts.domain.errors import DuplicatePhone
from services.contacts.domain.model import Contact
from services.contacts.service_layer.unit_of_work import ContactsUnitOfWork
from shared.contracts.consent import ChangeContactConsent
from shared.contracts.inbound import InboundMessageReceived
from shared.messagebus import Received

MAX_TRIES = 3


async def record_inbound(event: Received[InboundMessageReceived], uow: ContactsUnitOfWork) -> None:
    message = event.payload
    for _ in range(MAX_TRIES):
        contact = await uow.contacts.find_by_phone(event.org_id, message.phone)
        if contact is None:
            org = await uow.organizations.get_or_create(event.org_id)
            contact = Contact.create(
                id=uow.new_id(), org_id=event.org_id, phone=message.phone, now=uow.clock(),
                attributes={"language": org.default_language},
            )  # fmt: skip
            contact.seen(message.received_at, uow.clock())
            try:
                await uow.contacts.add(contact)
                return
            except DuplicatePhone:
                continue  # created meanwhile (the API, an import): found on the next try
        read_version = contact.version
        if contact.seen(message.received_at, uow.clock()):
            await uow.contacts.save(contact, read_version)  # a conflict is retried by the bus
        return


async def change_contact_consent(
    command: Received[ChangeContactConsent], uow: ContactsUnitOfWork
) -> None:
    """A contact's consent given or withdrawn by what they said (the flows service's STOP and
    JOIN keywords), by the contact's own rules (`Contact.consent_by_message`)."""
    given = command.payload
    contact = await uow.contacts.get(command.org_id, given.contact_id)
    if contact is None:
        return  # deleted since: nothing to consent for
    read_version = contact.version
    changed = contact.consent_by_message(
        given.consent, method=given.method, actor=given.actor, reason=given.reason,
        at=given.requested_at, now=uow.clock(),
    )  # fmt: skip
    if changed:
        await uow.contacts.save(contact, read_version)  # a conflict is retried by the bus
