"""DefineField, ChangeField, DeleteField and ReconcileFieldValues through the bus: keys and labels
unique per organisation, a bounded number of fields, fields smart groups read kept as they are,
and contacts' values following a type change or a deletion in the background."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from services.contacts.domain.commands import (
    ChangeField,
    DefineField,
    DeleteField,
    ReconcileFieldValues,
)
from services.contacts.domain.errors import (
    DuplicateField,
    FieldInUse,
    FieldNotFound,
    InvalidField,
    InvalidValue,
    TooManyFields,
)
from services.contacts.domain.fields import FieldDefinition
from shared.contactql.values import FieldType
from shared.contracts.contacts import (
    ContactUpdated,
    FieldChanged,
    FieldDefined,
    FieldDeleted,
)
from tests.fakes.contacts import (
    ORG,
    ContactsHarness,
    build_contacts_harness,
    group_created,
    group_deleted,
    phone,
    principal,
)


async def define(service: ContactsHarness, label: str, **options: Any) -> FieldDefinition:
    definition: FieldDefinition = await service.bus.handle(
        DefineField(by=principal(), label=label, **options)
    )
    return definition


async def change(service: ContactsHarness, key: str, **changes: Any) -> FieldDefinition:
    definition: FieldDefinition = await service.bus.handle(
        ChangeField(by=principal(), key=key, changes=changes)
    )
    return definition


async def delete(service: ContactsHarness, key: str) -> None:
    await service.bus.handle(DeleteField(by=principal(), key=key))


async def stored_field(service: ContactsHarness, key: str) -> FieldDefinition:
    definition = await service.fields.get(ORG, key, deleted=True)
    assert definition is not None
    return definition


def subject(key: str) -> str:
    return f"{ORG}:{key}"


async def smart_group_reading(service: ContactsHarness, group_id: str, query: str) -> None:
    await service.receive(group_created(group_id, f"Smart {group_id}", query=query), 1)


# --- defining ------------------------------------------------------------------------------


async def test_a_field_is_defined_under_the_key_its_label_gives(service: ContactsHarness) -> None:
    definition = await define(service, " Home District ", type="district", featured=True)

    assert (definition.key, definition.label, definition.type) == (
        "home_district",
        "Home District",
        FieldType.DISTRICT,
    )
    assert await service.fields.types(ORG) == {"home_district": FieldType.DISTRICT}
    [defined] = service.published(subject("home_district"))
    assert isinstance(defined, FieldDefined)
    assert (defined.type, defined.featured) == ("district", True)


@pytest.mark.parametrize(
    "options",
    [{"key": "9lives"}, {"key": "name"}, {"key": "x" * 37}, {"type": "colour"}],
)
async def test_a_bad_key_or_type_is_refused(
    service: ContactsHarness, options: dict[str, Any]
) -> None:
    with pytest.raises(InvalidField):
        await define(service, "Anything", **options)

    assert await service.fields.count(ORG) == 0


async def test_a_key_is_defined_once(service: ContactsHarness) -> None:
    await define(service, "Age", type="number")

    with pytest.raises(DuplicateField):
        await define(service, "Age in years", key="age")

    assert (await stored_field(service, "age")).label == "Age"


async def test_a_label_is_unique_ignoring_case(service: ContactsHarness) -> None:
    await define(service, "Age")

    with pytest.raises(DuplicateField):
        await define(service, "AGE", key="age_years")

    assert await service.fields.get(ORG, "age_years") is None


async def test_an_organisation_has_a_bounded_number_of_fields() -> None:
    service = build_contacts_harness(max_fields=2)
    await define(service, "One")
    await define(service, "Two")

    with pytest.raises(TooManyFields):
        await define(service, "Three")

    await delete(service, "two")
    await define(service, "Three")
    assert set(await service.fields.types(ORG)) == {"one", "three"}


# --- changing ------------------------------------------------------------------------------


async def test_a_label_change_is_announced_and_leaves_values_alone(
    service: ContactsHarness,
) -> None:
    await define(service, "Age", type="number")

    changed = await change(service, "age", label="Age (years)", order=3)

    assert (changed.label, changed.order, changed.version) == ("Age (years)", 3, 2)
    assert not changed.values_pending
    assert service.field_values.scheduled == []
    event = service.published(subject("age"))[-1]
    assert isinstance(event, FieldChanged)
    assert event.changed == ["label", "order"]


async def test_a_type_change_leaves_the_values_to_follow_in_the_background(
    service: ContactsHarness,
) -> None:
    await define(service, "Score")

    changed = await change(service, "score", type="number")

    assert (changed.type, changed.values_pending) == (FieldType.NUMBER, True)
    assert service.field_values.scheduled == [(ORG, "score")]
    assert await service.fields.pending() == [(ORG, "score")]
    event = service.published(subject("score"))[-1]
    assert isinstance(event, FieldChanged)
    assert event.previous_type == "text"


async def test_changing_a_field_to_what_it_is_changes_nothing(service: ContactsHarness) -> None:
    await define(service, "Score")

    await change(service, "score", type="text", label="Score")

    assert (await stored_field(service, "score")).version == 1
    assert service.field_values.scheduled == []


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"label": None}, InvalidValue),
        ({"label": 7}, InvalidValue),
        ({"type": "colour"}, InvalidField),
        ({"label": " "}, InvalidValue),
    ],
)
async def test_a_bad_change_is_refused(
    service: ContactsHarness, changes: dict[str, Any], error: type[Exception]
) -> None:
    await define(service, "Score")

    with pytest.raises(error):
        await change(service, "score", **changes)

    assert (await stored_field(service, "score")).version == 1


async def test_a_label_another_field_has_is_refused(service: ContactsHarness) -> None:
    await define(service, "Age")
    await define(service, "Years")

    with pytest.raises(DuplicateField):
        await change(service, "years", label="age")

    assert (await stored_field(service, "years")).label == "Years"


async def test_an_unknown_field_is_not_found(service: ContactsHarness) -> None:
    with pytest.raises(FieldNotFound):
        await change(service, "ghost", label="Ghost")
    with pytest.raises(FieldNotFound):
        await delete(service, "ghost")


# --- smart groups --------------------------------------------------------------------------


async def test_a_field_a_smart_group_reads_keeps_its_type_and_stays(
    service: ContactsHarness,
) -> None:
    await define(service, "Age", type="number")
    await define(service, "District")
    await smart_group_reading(service, "group-1", "age > 18")

    with pytest.raises(FieldInUse) as in_use:
        await change(service, "age", type="text")
    with pytest.raises(FieldInUse):
        await delete(service, "age")

    assert in_use.value.details["smart_groups"] == [{"id": "group-1", "name": "Smart group-1"}]
    assert (await stored_field(service, "age")).type is FieldType.NUMBER
    await change(service, "age", label="Age (years)")
    await change(service, "district", type="state")
    assert service.field_values.scheduled == [(ORG, "district")]


async def test_a_field_is_free_again_once_the_smart_group_is_deleted(
    service: ContactsHarness,
) -> None:
    await define(service, "Age", type="number")
    await smart_group_reading(service, "group-1", "age > 18")

    await service.receive(group_deleted("group-1"), 2)
    await delete(service, "age")

    assert await service.fields.get(ORG, "age") is None


# --- deleting ------------------------------------------------------------------------------


async def test_a_deleted_field_is_gone_at_once_and_its_values_follow(
    service: ContactsHarness,
) -> None:
    await define(service, "District")

    await delete(service, "district")

    assert await service.fields.get(ORG, "district") is None
    tombstone = await stored_field(service, "district")
    assert (tombstone.deleted, tombstone.values_pending) == (True, True)
    assert service.field_values.scheduled == [(ORG, "district")]
    assert isinstance(service.published(subject("district"))[-1], FieldDeleted)


async def test_a_deleted_key_is_defined_again_only_once_its_values_are_gone(
    service: ContactsHarness,
) -> None:
    await define(service, "District")
    await delete(service, "district")

    with pytest.raises(DuplicateField):
        await define(service, "District")
    await service.follow_field_values()
    again = await define(service, "District", type="state")

    assert (again.version, again.type) == (3, FieldType.STATE)
    assert service.outbox.sequences(subject("district")) == [1, 2, 3]


# --- values following their field ---------------------------------------------------------


async def scores(service: ContactsHarness, *values: str | None) -> list[str]:
    """One contact per value (None: without a score); their ids."""
    ids = []
    for n, value in enumerate(values):
        fields = {} if value is None else {"score": value}
        ids.append((await service.create(phone(n), fields=fields)).id)
    return ids


async def test_values_are_read_again_as_the_new_type_and_unreadable_ones_cleared(
    service: ContactsHarness,
) -> None:
    await define(service, "Score")
    twelve, abc, half, none = await scores(service, "12", "abc", "7.5", None)
    await change(service, "score", type="number")

    [report] = await service.follow_field_values()

    assert report is not None
    assert (report.converted, report.cleared, report.cleared_contacts) == (2, 1, [abc])
    assert (await service.stored(twelve)).fields["score"].number == Decimal(12)
    assert (await service.stored(half)).fields["score"].number == Decimal("7.5")
    assert "score" not in (await service.stored(abc)).fields
    for changed in (twelve, abc, half):
        assert isinstance(service.published(changed)[-1], ContactUpdated)
    assert service.outbox.kinds(none) == ["ContactCreated"]
    followed = await stored_field(service, "score")
    assert not followed.values_pending
    assert followed.last_conversion is not None
    assert followed.last_conversion["converted"] == 2
    assert followed.last_conversion["to_type"] == "number"


async def test_a_field_whose_values_follow_it_needs_nothing(service: ContactsHarness) -> None:
    await define(service, "Score")
    await scores(service, "12")

    assert await service.bus.handle(ReconcileFieldValues(ORG, "score")) is None
    assert await service.bus.handle(ReconcileFieldValues(ORG, "ghost")) is None


async def test_a_deleted_fields_values_are_removed_from_every_contact(
    service: ContactsHarness,
) -> None:
    await define(service, "Score")
    await define(service, "District")
    contact = (await service.create(phone(1), fields={"score": "1", "district": "Kano"})).id
    other = (await service.create(phone(2), fields={"score": "2"})).id
    await delete(service, "score")

    [report] = await service.follow_field_values()

    assert report is not None and report.to_type is None
    assert set((await service.stored(contact)).fields) == {"district"}
    assert (await service.stored(other)).fields == {}
    tombstone = await stored_field(service, "score")
    assert not tombstone.values_pending
    assert tombstone.last_conversion is None


async def test_a_contact_changed_meanwhile_is_read_again_in_the_next_pass(
    service: ContactsHarness,
) -> None:
    await define(service, "Score")
    [contact] = await scores(service, "12")
    await change(service, "score", type="number")
    service.renamed_meanwhile(contact, "Renamed meanwhile")

    await service.follow_field_values()

    stored = await service.stored(contact)
    assert (stored.name, stored.version) == ("Renamed meanwhile", 3)
    assert stored.fields["score"].number == Decimal(12)
    assert not (await stored_field(service, "score")).values_pending


async def test_a_value_converted_after_a_conflict_is_counted_once(
    service: ContactsHarness,
) -> None:
    await define(service, "Score")
    [contact] = await scores(service, "12")
    await change(service, "score", type="number")
    service.renamed_meanwhile(contact, "Renamed meanwhile")

    [report] = await service.follow_field_values()

    assert report is not None
    assert report.converted == 1


async def test_a_type_changed_again_meanwhile_hands_over_to_the_newer_run(
    service: ContactsHarness,
) -> None:
    await define(service, "Score")
    [contact] = await scores(service, "12")
    await change(service, "score", type="number")
    service.store.before_next_write(contact, lambda: change(service, "score", type="text"))

    [stopped] = await service.follow_field_values()

    assert stopped is None
    assert (await stored_field(service, "score")).values_pending
    [report] = await service.follow_field_values()
    assert report is not None and report.to_type is FieldType.TEXT
    assert (await service.stored(contact)).fields["score"].type is FieldType.TEXT
    assert not (await stored_field(service, "score")).values_pending
