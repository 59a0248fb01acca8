"""One handler per command. Handlers validate, ask the aggregate to decide, and store the result."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from services.contacts.domain.commands import (
    AnonymizeContact,
    ApplyContactAction,
    ChangeContactStatus,
    ContactInput,
    CreateContact,
    CreateContacts,
    DeleteContact,
    UpdateContact,
    UpdateOrganization,
)
from services.contacts.domain.errors import (
    ContactNotFound,
    DomainError,
    DuplicatePhone,
    InvalidValue,
    VersionConflict,
)
from services.contacts.domain.model import Contact, ContactStatus, status_for_action
from services.contacts.domain.organization import Organization
from services.contacts.service_layer import queries
from services.contacts.service_layer.results import EntryResult
from services.contacts.service_layer.unit_of_work import ContactsUnitOfWork
from services.contacts.service_layer.validation import phone_of, validated_attributes
from shared.contactql.values import FieldType
from shared.phone import InvalidPhone

MAX_UPDATE_RETRIES = 3


async def _field_types(
    uow: ContactsUnitOfWork, org_id: str, inputs: Sequence[ContactInput]
) -> dict[str, FieldType]:
    """Field definitions are read only when some input sets custom values."""
    if any(data.fields for data in inputs):
        return await uow.fields.types(org_id)
    return {}


def _new_contact(
    data: ContactInput,
    org: Organization,
    fields: Mapping[str, FieldType],
    uow: ContactsUnitOfWork,
) -> Contact:
    if not data.phone:
        raise InvalidPhone("phone is required", reason="missing", value=data.phone, field="phone")
    phone = phone_of(data.phone, org.default_country, "phone")
    attributes = validated_attributes(data, org, fields)
    if "fields" in attributes:
        attributes["fields"] = {k: v for k, v in attributes["fields"].items() if v is not None}
    attributes.setdefault("language", org.default_language)
    method = (data.opt_in_method or "api") if data.opt_in else None
    return Contact.create(
        id=uow.new_id(),
        org_id=org.id,
        phone=phone,
        now=uow.clock(),
        attributes=attributes,
        opt_in_method=method,
    )


async def create_contact(cmd: CreateContact, uow: ContactsUnitOfWork) -> Contact:
    org = await uow.organizations.get_or_create(cmd.by.org_id)
    fields = await _field_types(uow, org.id, [cmd.contact])
    contact = _new_contact(cmd.contact, org, fields, uow)
    await uow.contacts.add(contact)
    return contact


async def create_contacts(cmd: CreateContacts, uow: ContactsUnitOfWork) -> list[EntryResult]:
    """Each entry stands on its own: one bad entry never blocks the others."""
    org = await uow.organizations.get_or_create(cmd.by.org_id)
    results: dict[int, EntryResult] = {}
    valid: list[tuple[int, Contact]] = []
    first_index_of_phone: dict[str, int] = {}
    fields = await _field_types(uow, org.id, cmd.contacts)
    for index, data in enumerate(cmd.contacts):
        try:
            contact = _new_contact(data, org, fields, uow)
        except DomainError as exc:
            results[index] = EntryResult(index, error=exc)
            continue
        assert contact.phone is not None
        if contact.phone in first_index_of_phone:
            results[index] = EntryResult(
                index,
                error=DuplicatePhone(
                    "the same phone appears earlier in this batch",
                    phone=contact.phone,
                    duplicate_of_index=first_index_of_phone[contact.phone],
                ),
            )
            continue
        first_index_of_phone[contact.phone] = index
        valid.append((index, contact))
    refused = await uow.contacts.add_many([contact for _, contact in valid])
    for position, (index, contact) in enumerate(valid):
        error = refused.get(position)
        results[index] = EntryResult(index, error=error) if error else EntryResult(index, contact)
    return [results[i] for i in range(len(cmd.contacts))]


async def update_contact(cmd: UpdateContact, uow: ContactsUnitOfWork) -> Contact:
    """A stale `expected_version` is refused; without one, a concurrent write is retried."""
    org = await uow.organizations.get_or_create(cmd.by.org_id)
    fields = await _field_types(uow, org.id, [cmd.changes])
    changes = validated_attributes(cmd.changes, org, fields)
    if "phone" in cmd.changes.present:
        if not cmd.changes.phone:
            raise InvalidPhone(
                "phone cannot be removed", reason="missing", value=None, field="phone"
            )
        changes["phone"] = phone_of(cmd.changes.phone, org.default_country, "phone")
    for attempt in range(1, MAX_UPDATE_RETRIES + 1):
        contact = await queries.load_visible(uow, cmd.by, cmd.contact_id)
        contact.check_version(cmd.expected_version)
        read_version = contact.version
        contact.update(changes, uow.clock(), actor=cmd.by.actor)
        try:
            await uow.contacts.save(contact, read_version)
            return contact
        except VersionConflict:
            if cmd.expected_version is not None or attempt == MAX_UPDATE_RETRIES:
                raise
    raise AssertionError("unreachable")


def _parse_status(value: str) -> ContactStatus:
    try:
        return ContactStatus(value)
    except ValueError:
        raise InvalidValue(
            f"unknown status {value!r}", field="status", allowed=[s.value for s in ContactStatus]
        ) from None


async def change_contact_status(cmd: ChangeContactStatus, uow: ContactsUnitOfWork) -> Contact:
    target = _parse_status(cmd.status)
    contact = await queries.load_visible(uow, cmd.by, cmd.contact_id)
    read_version = contact.version
    if contact.change_status(target, reason=cmd.reason, actor=cmd.by.actor, now=uow.clock()):
        await uow.contacts.save(contact, read_version)
    return contact


async def apply_contact_action(
    cmd: ApplyContactAction, uow: ContactsUnitOfWork
) -> dict[str, DomainError | Contact | None]:
    """Per-id outcome: the contact after the action, None once deleted, or the refusal."""
    found = await uow.contacts.get_many(cmd.by.org_id, cmd.contact_ids)
    visible = await queries.visible_groups(uow, cmd.by)
    found = {i: c for i, c in found.items() if queries.is_visible(c, visible)}
    outcome: dict[str, DomainError | Contact | None] = {}
    for contact_id in dict.fromkeys(cmd.contact_ids):
        contact = found.get(contact_id)
        if contact is None:
            outcome[contact_id] = ContactNotFound("contact not found", id=contact_id)
            continue
        read_version = contact.version
        try:
            if cmd.action == "delete":
                contact.delete(actor=cmd.by.actor, now=uow.clock())
            else:
                target = status_for_action(cmd.action, contact.status)
                contact.change_status(
                    target, reason=cmd.reason, actor=cmd.by.actor, now=uow.clock()
                )
            await uow.contacts.save(contact, read_version)
        except DomainError as exc:
            outcome[contact_id] = exc
            continue
        outcome[contact_id] = None if contact.deleted else contact
    return outcome


async def delete_contact(cmd: DeleteContact, uow: ContactsUnitOfWork) -> None:
    contact = await queries.load_visible(uow, cmd.by, cmd.contact_id)
    read_version = contact.version
    contact.delete(actor=cmd.by.actor, now=uow.clock())
    await uow.contacts.save(contact, read_version)


async def anonymize_contact(cmd: AnonymizeContact, uow: ContactsUnitOfWork) -> Contact:
    contact = await queries.load_visible(uow, cmd.by, cmd.contact_id)
    read_version = contact.version
    contact.anonymize(actor=cmd.by.actor, now=uow.clock())
    await uow.contacts.save(contact, read_version)
    return contact


async def update_organization(cmd: UpdateOrganization, uow: ContactsUnitOfWork) -> Organization:
    org = await uow.organizations.get_or_create(cmd.by.org_id)
    read_version = org.version
    org.update(cmd.changes, uow.clock())
    await uow.organizations.save(org, read_version)
    return org
