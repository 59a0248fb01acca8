"""CreateContact and CreateContacts through the bus: phones in E.164, one contact per phone,
custom values read by their field's type, consent recorded, and a batch whose entries stand
on their own."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.contacts.domain.commands import CreateContacts
from services.contacts.domain.errors import DuplicatePhone, InvalidFieldValue, UnknownField
from services.contacts.domain.model import Contact
from services.contacts.service_layer.results import EntryResult
from shared.contracts.contacts import ContactCreated
from shared.phone import InvalidPhone
from tests.fakes.contacts import (
    ORG,
    OTHER_ORG,
    ContactsHarness,
    contact_input,
    phone,
    principal,
)


async def test_a_national_number_is_stored_in_e164_with_the_default_country(
    service: ContactsHarness,
) -> None:
    await service.set_organization(default_country="KE")

    contact = await service.create("0712 345-678", name="Amina")

    assert (await service.stored(contact.id)).phone == "+254712345678"
    [created] = service.published(contact.id)
    assert isinstance(created, ContactCreated)
    assert (created.phone, created.name) == ("+254712345678", "Amina")


async def test_a_national_number_is_refused_without_a_default_country(
    service: ContactsHarness,
) -> None:
    with pytest.raises(InvalidPhone):
        await service.create("0712 345 678")
    assert await service.count_all() == 0


@pytest.mark.parametrize("raw", ["", "not a phone", "+1 23"])
async def test_an_invalid_phone_is_refused(service: ContactsHarness, raw: str) -> None:
    with pytest.raises(InvalidPhone):
        await service.create(raw)
    assert service.outbox.entries == []


async def test_a_taken_phone_is_refused_naming_the_contact_that_holds_it(
    service: ContactsHarness,
) -> None:
    first = await service.create(phone(1))

    with pytest.raises(DuplicatePhone) as refused:
        await service.create(phone(1).replace("+254", "00254 "), name="Someone else")

    assert refused.value.details["existing_id"] == first.id
    assert len(service.outbox.of_type(ContactCreated)) == 1


async def test_the_same_phone_may_belong_to_a_contact_of_each_organisation(
    service: ContactsHarness,
) -> None:
    ours = await service.create(phone(1))
    theirs = await service.create(phone(1), org_id=OTHER_ORG)

    assert ours.id != theirs.id
    assert await service.contacts.get(ORG, theirs.id) is None
    assert (await service.stored(theirs.id, OTHER_ORG)).phone == phone(1)


async def test_the_language_defaults_to_the_organisations(service: ContactsHarness) -> None:
    await service.set_organization(default_language="swa")

    defaulted = await service.create(phone(1))
    chosen = await service.create(phone(2), language="ENG")

    assert (defaulted.language, chosen.language) == ("swa", "eng")


async def test_custom_values_are_read_by_their_fields_type(service: ContactsHarness) -> None:
    await service.define_field("age", "number")
    await service.define_field("district")

    contact = await service.create(phone(1), fields={"age": " 18 ", "district": "Kano"})

    stored = await service.stored(contact.id)
    assert stored.fields["age"].number == Decimal(18)
    assert stored.fields["district"].text == "Kano"
    [created] = service.published(contact.id)
    assert isinstance(created, ContactCreated)
    assert set(created.fields) == {"age", "district"}


async def test_an_empty_custom_value_is_not_stored(service: ContactsHarness) -> None:
    await service.define_field("district")

    contact = await service.create(phone(1), fields={"district": ""})

    assert (await service.stored(contact.id)).fields == {}


async def test_an_undefined_field_is_refused(service: ContactsHarness) -> None:
    await service.define_field("age", "number")

    with pytest.raises(UnknownField) as refused:
        await service.create(phone(1), fields={"age": "3", "shoe_size": "41"})

    assert refused.value.details["unknown"] == ["shoe_size"]
    assert await service.count_all() == 0


async def test_a_value_not_of_the_fields_type_is_refused(service: ContactsHarness) -> None:
    await service.define_field("age", "number")

    with pytest.raises(InvalidFieldValue):
        await service.create(phone(1), fields={"age": "eighteen"})


async def test_opting_in_records_consent_with_its_method(service: ContactsHarness) -> None:
    by_api = await service.create(phone(1), opt_in=True)
    by_whatsapp = await service.create(phone(2), opt_in=True, opt_in_method="whatsapp")
    unknown = await service.create(phone(3))

    assert (by_api.opt_in.status, by_api.opt_in.opt_in_method) == ("opted_in", "api")
    assert by_api.opt_in.opted_in_at == service.clock.now
    assert by_whatsapp.opt_in.opt_in_method == "whatsapp"
    assert unknown.opt_in.status == "unknown"
    [created] = service.published(by_whatsapp.id)
    assert isinstance(created, ContactCreated)
    assert created.opt_in.opt_in_method == "whatsapp"


async def create_batch(service: ContactsHarness, *phones: str) -> list[EntryResult]:
    command = CreateContacts(by=principal(), contacts=[contact_input(phone=p) for p in phones])
    results: list[EntryResult] = await service.bus.handle(command)
    return results


async def test_a_batch_answers_each_entry_and_one_bad_entry_blocks_no_other(
    service: ContactsHarness,
) -> None:
    existing = await service.create(phone(9))

    results = await create_batch(service, phone(1), "12ab", phone(2), phone(1), phone(9), phone(3))

    assert [r.index for r in results] == list(range(6))
    created = [r.contact for r in results if r.contact is not None]
    assert [c.phone for c in created] == [phone(1), phone(2), phone(3)]
    assert isinstance(results[1].error, InvalidPhone)
    assert isinstance(results[3].error, DuplicatePhone)
    assert results[3].error.details["duplicate_of_index"] == 0
    assert isinstance(results[4].error, DuplicatePhone)
    assert results[4].error.details["existing_id"] == existing.id
    for contact in created:
        assert (await service.stored(contact.id)).phone == contact.phone
        assert service.outbox.kinds(contact.id) == ["ContactCreated"]
    assert await service.count_all() == 4


async def test_a_batch_entry_with_an_unknown_field_fails_alone(service: ContactsHarness) -> None:
    command = CreateContacts(
        by=principal(),
        contacts=[
            contact_input(phone=phone(1), fields={"nope": "x"}),
            contact_input(phone=phone(2), name="Ok"),
        ],
    )

    failed, created = await service.bus.handle(command)

    assert isinstance(failed.error, UnknownField)
    assert isinstance(created.contact, Contact)
    assert (await service.stored(created.contact.id)).name == "Ok"
