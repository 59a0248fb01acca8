"""UpdateContact through the bus: only real changes are stored and announced, a stale
`expected_version` is refused, a concurrent write is retried when the caller did not pin a
version, phones stay unique, and custom values merge."""

from __future__ import annotations

from typing import Any

import pytest

from services.contacts.domain.commands import (
    AnonymizeContact,
    UpdateContact,
)
from services.contacts.domain.errors import (
    ContactAnonymizedError,
    ContactNotFound,
    DuplicatePhone,
    VersionConflict,
)
from services.contacts.domain.model import Contact
from services.contacts.service_layer.handlers import MAX_UPDATE_RETRIES
from shared.contracts.contacts import ContactUpdated
from shared.phone import InvalidPhone
from tests.fakes.contacts import (
    OTHER_ORG,
    ContactsHarness,
    contact_input,
    phone,
    principal,
)


def update(contact_id: str, expected_version: int | None = None, **changes: Any) -> UpdateContact:
    return UpdateContact(
        by=principal(),
        contact_id=contact_id,
        changes=contact_input(**changes),
        expected_version=expected_version,
    )


async def updated(service: ContactsHarness, command: UpdateContact) -> Contact:
    contact: Contact = await service.bus.handle(command)
    return contact


async def test_only_the_attributes_that_changed_are_stored_and_announced(
    service: ContactsHarness,
) -> None:
    contact = await service.create(phone(1), name="Amina", email="amina@example.org")
    service.clock.advance(60)

    await updated(service, update(contact.id, name="Amina Y", email="amina@EXAMPLE.org"))

    stored = await service.stored(contact.id)
    assert (stored.name, stored.version, stored.updated_at) == ("Amina Y", 2, service.clock.now)
    change = service.published(contact.id)[-1]
    assert isinstance(change, ContactUpdated)
    assert change.model_dump(exclude_unset=True, exclude={"contact_id", "updated_at"}) == {
        "name": "Amina Y",
        "actor": principal().actor,
    }
    assert service.outbox.sequences(contact.id) == [1, 2]


async def test_an_update_that_changes_nothing_writes_nothing(service: ContactsHarness) -> None:
    contact = await service.create(phone(1), name="Amina")

    await updated(service, update(contact.id, name=" Amina "))

    assert (await service.stored(contact.id)).version == 1
    assert service.outbox.kinds(contact.id) == ["ContactCreated"]


async def test_a_new_phone_is_normalised_with_the_default_country(
    service: ContactsHarness,
) -> None:
    await service.set_organization(default_country="KE")
    contact = await service.create(phone(1))

    await updated(service, update(contact.id, phone="0712 345 678"))

    assert (await service.stored(contact.id)).phone == "+254712345678"
    change = service.published(contact.id)[-1]
    assert isinstance(change, ContactUpdated)
    assert change.phone == "+254712345678"


async def test_a_phone_another_contact_holds_is_refused_naming_it(
    service: ContactsHarness,
) -> None:
    holder = await service.create(phone(1))
    contact = await service.create(phone(2))

    with pytest.raises(DuplicatePhone) as refused:
        await updated(service, update(contact.id, phone=phone(1)))

    assert refused.value.details["existing_id"] == holder.id
    assert (await service.stored(contact.id)).phone == phone(2)


@pytest.mark.parametrize("removed", [None, ""])
async def test_the_phone_cannot_be_removed(service: ContactsHarness, removed: str | None) -> None:
    contact = await service.create(phone(1))

    with pytest.raises(InvalidPhone):
        await updated(service, update(contact.id, phone=removed))

    assert (await service.stored(contact.id)).phone == phone(1)


async def test_a_stale_expected_version_is_refused(service: ContactsHarness) -> None:
    contact = await service.create(phone(1), name="Amina")
    await updated(service, update(contact.id, name="Amina Y"))

    with pytest.raises(VersionConflict) as refused:
        await updated(service, update(contact.id, expected_version=1, name="Stale"))

    assert refused.value.details == {"expected_version": 1, "current_version": 2}
    assert (await service.stored(contact.id)).name == "Amina Y"


async def test_a_write_racing_a_pinned_version_is_refused_not_retried(
    service: ContactsHarness,
) -> None:
    contact = await service.create(phone(1), name="Amina")
    service.renamed_meanwhile(contact.id, "Theirs")

    with pytest.raises(VersionConflict):
        await updated(service, update(contact.id, expected_version=1, email="a@example.org"))

    stored = await service.stored(contact.id)
    assert (stored.name, stored.email, stored.version) == ("Theirs", None, 2)


async def test_without_a_version_a_racing_write_is_retried_on_the_newer_contact(
    service: ContactsHarness,
) -> None:
    contact = await service.create(phone(1), name="Amina")
    service.renamed_meanwhile(contact.id, "Theirs")

    result = await updated(service, update(contact.id, email="a@example.org"))

    stored = await service.stored(contact.id)
    assert (stored.name, stored.email, stored.version) == ("Theirs", "a@example.org", 3)
    assert result.version == 3
    assert service.outbox.kinds(contact.id) == [
        "ContactCreated",
        "ContactUpdated",
        "ContactUpdated",
    ]


async def test_the_retries_give_up_when_every_write_loses_the_race(
    service: ContactsHarness,
) -> None:
    contact = await service.create(phone(1), name="Amina")
    for attempt in range(MAX_UPDATE_RETRIES):
        service.renamed_meanwhile(contact.id, f"Theirs {attempt}")

    with pytest.raises(VersionConflict):
        await updated(service, update(contact.id, email="a@example.org"))

    stored = await service.stored(contact.id)
    assert (stored.email, stored.version) == (None, 1 + MAX_UPDATE_RETRIES)


async def test_custom_values_merge_and_null_clears_one(service: ContactsHarness) -> None:
    await service.define_field("age", "number")
    await service.define_field("district")
    contact = await service.create(phone(1), fields={"age": "18", "district": "Kano"})

    await updated(service, update(contact.id, fields={"age": None}))
    await updated(service, update(contact.id, fields={"district": "Kaduna"}))

    stored = await service.stored(contact.id)
    assert set(stored.fields) == {"district"}
    assert stored.fields["district"].text == "Kaduna"
    cleared, changed = service.published(contact.id)[1:]
    assert isinstance(cleared, ContactUpdated) and isinstance(changed, ContactUpdated)
    assert cleared.fields == {"age": None}
    assert changed.fields is not None and set(changed.fields) == {"district"}


async def test_a_contact_of_another_organisation_is_not_found(service: ContactsHarness) -> None:
    theirs = await service.create(phone(1), org_id=OTHER_ORG, name="Theirs")

    with pytest.raises(ContactNotFound):
        await updated(service, update(theirs.id, name="Mine"))

    assert (await service.stored(theirs.id, OTHER_ORG)).name == "Theirs"


async def test_an_anonymized_contact_cannot_be_changed(service: ContactsHarness) -> None:
    contact = await service.create(phone(1))
    await service.bus.handle(AnonymizeContact(by=principal(), contact_id=contact.id))

    with pytest.raises(ContactAnonymizedError):
        await updated(service, update(contact.id, name="Back"))
