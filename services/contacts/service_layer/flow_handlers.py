"""What a flow changes on a contact (the flows service's `ChangeContactFields` and
`ChangeContactStatus`), applied by the contacts service's own rules with the flow as the actor.

A flow writes what contacts answered: a value its field's type cannot read (a number field
told "maybe") must not cost the contact the rest of the change, so each attribute and each
field value is checked on its own, and what is refused is logged and left out. A contact
deleted since is left alone; a change that changes nothing publishes nothing."""

from __future__ import annotations

from typing import Any

from services.contacts.domain.commands import ContactInput
from services.contacts.domain.model import ContactStatus
from services.contacts.service_layer.unit_of_work import ContactsUnitOfWork
from services.contacts.service_layer.validation import validated_attributes
from shared.contracts.contact_commands import ChangeContactFields, ChangeContactStatus
from shared.errors import DomainError
from shared.logging import get_logger
from shared.messagebus import Received

log = get_logger(__name__)


async def change_contact_fields(
    command: Received[ChangeContactFields], uow: ContactsUnitOfWork
) -> None:
    cmd = command.payload
    contact = await uow.contacts.get(command.org_id, cmd.contact_id)
    if contact is None or contact.anonymized:
        return
    org = await uow.organizations.get_or_create(command.org_id)
    types = await uow.fields.types(command.org_id) if cmd.fields else {}
    changes: dict[str, Any] = {}
    for piece in _pieces(cmd):
        try:
            attributes = validated_attributes(piece, org, types)
        except DomainError as exc:
            log.warning("flow_change_refused", contact_id=cmd.contact_id, actor=cmd.actor,
                        code=exc.code, detail=exc.message)  # fmt: skip
            continue
        fields = attributes.pop("fields", {})
        changes.update(attributes)
        if fields:
            changes.setdefault("fields", {}).update(fields)
    if not changes:
        return
    read_version = contact.version
    if contact.update(changes, uow.clock(), actor=cmd.actor):
        await uow.contacts.save(contact, read_version)  # a conflict is retried by the bus


def _pieces(cmd: ChangeContactFields) -> list[ContactInput]:
    pieces = []
    if cmd.name is not None:
        pieces.append(ContactInput(name=cmd.name or None, present=frozenset({"name"})))
    if cmd.language is not None:
        pieces.append(ContactInput(language=cmd.language, present=frozenset({"language"})))
    for key, value in cmd.fields.items():
        pieces.append(ContactInput(fields={key: value}, present=frozenset({"fields"})))
    return pieces


async def change_contact_status(
    command: Received[ChangeContactStatus], uow: ContactsUnitOfWork
) -> None:
    cmd = command.payload
    contact = await uow.contacts.get(command.org_id, cmd.contact_id)
    if contact is None or contact.anonymized:
        return
    read_version = contact.version
    try:
        changed = contact.change_status(ContactStatus(cmd.status), reason=cmd.reason,
                                        actor=cmd.actor, now=uow.clock())  # fmt: skip
    except DomainError as exc:
        log.warning("flow_status_refused", contact_id=cmd.contact_id, code=exc.code)
        return
    if changed:
        await uow.contacts.save(contact, read_version)
