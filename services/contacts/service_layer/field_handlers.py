"""Handlers for field definitions, and for bringing contacts' values in line with them."""

from __future__ import annotations

from typing import Any

from services.contacts.domain.commands import (
    ChangeField,
    DefineField,
    DeleteField,
    ReconcileFieldValues,
)
from services.contacts.domain.errors import (
    DomainError,
    DuplicateField,
    FieldInUse,
    FieldNotFound,
    InvalidValue,
    TooManyFields,
    VersionConflict,
)
from services.contacts.domain.fields import (
    ConversionReport,
    FieldDefinition,
    coerce_value,
    field_type,
    key_for,
)
from services.contacts.service_layer import queries
from services.contacts.service_layer.ports import FieldValuesJobs
from services.contacts.service_layer.unit_of_work import ContactsUnitOfWork
from shared.contactql.values import FieldValue
from shared.logging import get_logger

log = get_logger(__name__)

CONTACTS_PER_PASS = 500
FIELDS_ACTOR = "system:fields"  # a value converted or removed because its field changed


async def define_field(cmd: DefineField, uow: ContactsUnitOfWork) -> FieldDefinition:
    if await uow.fields.count(cmd.by.org_id) >= uow.max_fields:
        raise TooManyFields(f"at most {uow.max_fields} fields per organisation")
    key = key_for(cmd.label, cmd.key)
    previous = await uow.fields.get(cmd.by.org_id, key, deleted=True)
    if previous is not None and not previous.deleted:
        raise DuplicateField("a field with this key exists", key=key)
    if previous is not None and previous.values_pending:
        raise DuplicateField("the field deleted under this key is still being removed", key=key)
    definition = FieldDefinition.define(
        org_id=cmd.by.org_id,
        label=cmd.label,
        key=key,
        type=field_type(cmd.type),
        featured=cmd.featured,
        order=cmd.order,
        now=uow.clock(),
        previous=previous,
    )
    await uow.fields.add(definition, replacing=previous)
    return definition


async def load_field(uow: ContactsUnitOfWork, org_id: str, key: str) -> FieldDefinition:
    definition = await uow.fields.get(org_id, key)
    if definition is None:
        raise FieldNotFound("field not found", key=key)
    return definition


async def change_field(
    cmd: ChangeField, uow: ContactsUnitOfWork, field_values: FieldValuesJobs
) -> FieldDefinition:
    """A type change is recorded at once; contacts' values follow in the background."""
    definition = await load_field(uow, cmd.by.org_id, cmd.key)
    changes: dict[str, Any] = dict(cmd.changes)
    for name, value in changes.items():
        if value is None:
            raise InvalidValue(f"{name} cannot be null", field=name)
    if "type" in changes:
        changes["type"] = field_type(changes["type"])
    if "label" in changes and not isinstance(changes["label"], str):
        raise InvalidValue("label must be text", field="label")
    if "type" in changes and changes["type"] != definition.type:
        await _refuse_if_used(uow, definition, "its type cannot change")
    read_version = definition.version
    definition.change(changes, uow.clock())
    await uow.fields.save(definition, read_version)
    if definition.values_pending:
        field_values.schedule(definition.org_id, definition.key)
    return definition


async def delete_field(
    cmd: DeleteField, uow: ContactsUnitOfWork, field_values: FieldValuesJobs
) -> FieldDefinition:
    """The definition goes at once; every contact's value is removed in the background."""
    definition = await load_field(uow, cmd.by.org_id, cmd.key)
    await _refuse_if_used(uow, definition, "it cannot be deleted")
    read_version = definition.version
    definition.delete(uow.clock())
    await uow.fields.save(definition, read_version)
    field_values.schedule(definition.org_id, definition.key)
    return definition


async def _refuse_if_used(uow: ContactsUnitOfWork, definition: FieldDefinition, what: str) -> None:
    using = await queries.smart_groups_using(uow, definition.org_id, definition.key)
    if using:
        raise FieldInUse(
            f"smart groups select by {definition.key}: {what}",
            key=definition.key,
            smart_groups=[{"id": g.id, "name": g.name} for g in using],
        )


async def reconcile_field_values(
    cmd: ReconcileFieldValues, uow: ContactsUnitOfWork
) -> ConversionReport | None:
    """Re-reads every value of a retyped field (clearing those that do not convert), or removes
    every value of a deleted field. Each changed contact publishes its ContactUpdated.

    Returns None when there was nothing to do or the definition changed meanwhile (a later
    pass follows the newer definition).
    """
    definition = await uow.fields.get(cmd.org_id, cmd.key, deleted=True)
    if definition is None or not definition.values_pending:
        return None
    org = await uow.organizations.get_or_create(cmd.org_id)
    report = ConversionReport(to_type=None if definition.deleted else definition.type)
    while True:
        current = await uow.fields.get(cmd.org_id, cmd.key, deleted=True)
        if current is None or current.version != definition.version:
            return None  # changed again: the run for the newer definition takes over
        contacts = await uow.contacts.with_field_value(
            cmd.org_id,
            cmd.key,
            other_than_type=None if definition.deleted else definition.type.value,
            limit=CONTACTS_PER_PASS,
        )
        if not contacts:
            break
        for contact in contacts:
            value: FieldValue | None = None
            converted = False
            if not definition.deleted:
                try:
                    value = coerce_value(
                        cmd.key, contact.fields[cmd.key].text, definition.type, org.timezone
                    )
                    converted = True
                except DomainError:  # not readable as the new type (or no longer valid at all)
                    pass
            read_version = contact.version
            contact.update({"fields": {cmd.key: value}}, uow.clock(), actor=FIELDS_ACTOR)
            try:
                await uow.contacts.save(contact, read_version)
            except VersionConflict:
                continue  # changed meanwhile: read again (and counted) in the next pass
            if converted:
                report.converted += 1
            elif not definition.deleted:
                report.record_cleared(contact.id)
    finished = await uow.fields.values_followed(
        definition, None if definition.deleted else report.as_dict(uow.clock())
    )
    if not finished:
        return None
    log.info(
        "field_values_followed",
        org_id=cmd.org_id,
        key=cmd.key,
        converted=report.converted,
        cleared=report.cleared,
    )
    return report
