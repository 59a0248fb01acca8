"""What a flow changes on a contact (`ChangeContactFields`, `ChangeContactStatus` from the
flows service): applied by the contacts service's rules with the flow as the actor; a value
its field cannot read is left out without costing the rest of the change."""

from __future__ import annotations

from shared.contracts.contact_commands import ChangeContactFields, ChangeContactStatus
from shared.contracts.contacts import ContactStatusChanged, ContactUpdated
from tests.fakes.contacts import T0, ContactsHarness

ACTOR = "flow:survey"


async def test_a_flows_answers_land_in_fields_and_a_bad_one_is_left_out(
    service: ContactsHarness,
) -> None:
    await service.define_field("age", "number")
    await service.define_field("colour", "text")
    contact = await service.create("+254700000001", name="Amina")
    answers = {"age": "thirty", "colour": "Blue", "nope": "x"}
    change = ChangeContactFields(contact_id=contact.id, actor=ACTOR, requested_at=T0,
                                 name="Amina Njeri", language="swa", fields=answers)  # fmt: skip
    await service.receive(change, None)
    again = ChangeContactFields(contact_id=contact.id, actor=ACTOR, requested_at=T0,
                                fields={"age": "31"})  # fmt: skip
    await service.receive(again, None)

    stored = await service.stored(contact.id)
    assert (stored.name, stored.language) == ("Amina Njeri", "swa")
    assert {k: v.text for k, v in stored.fields.items()} == {"colour": "Blue", "age": "31"}
    assert [e.actor for e in service.outbox.of_type(ContactUpdated)] == [ACTOR, ACTOR]


async def test_a_flow_changes_status_as_its_actor_and_never_a_deleted_contact(
    service: ContactsHarness,
) -> None:
    contact = await service.create("+254700000001")
    await service.receive(ChangeContactStatus(contact_id=contact.id, actor=ACTOR,
                                              requested_at=T0, status="archived",
                                              reason="survey: moved away"), None)  # fmt: skip
    [changed] = service.outbox.of_type(ContactStatusChanged)
    assert (changed.to_status, changed.actor, changed.reason) == (
        "archived", ACTOR, "survey: moved away")  # fmt: skip
    await service.receive(ChangeContactFields(contact_id="gone", actor=ACTOR, requested_at=T0,
                                              name="x"), None)  # fmt: skip
    assert len(service.outbox.of_type(ContactUpdated)) == 0
