"""Kafka consumer of the contacts service: the group directory (names, staff, smart queries) and
the `contact.groups` projection of memberships, both from `roster.groups`; and the importer's
commands (rows of a file to create or update) from `roster.contacts.commands`."""

from __future__ import annotations

from services.contacts.domain.commands import ApplyGroupMembership
from services.contacts.service_layer import handlers
from services.contacts.service_layer.import_handlers import import_contact_rows
from services.contacts.service_layer.unit_of_work import ContactsUnitOfWork
from shared.contracts.envelope import EventEnvelope
from shared.contracts.groups import GroupCreated, GroupDeleted, GroupMembershipChanged, GroupUpdated
from shared.contracts.imports import ContactRowsImported, ImportContactRows
from shared.contracts.registry import parse_payload
from shared.contracts.topics import CONTACT_COMMANDS, GROUPS
from shared.kafka.consumer import EventHandler, PoisonEvent
from shared.mongo.replies import ReplyOutbox

CONSUMED_TOPICS = (GROUPS.name, CONTACT_COMMANDS.name)


def contacts_consumer(uow: ContactsUnitOfWork, replies: ReplyOutbox) -> EventHandler:
    async def handle(envelope: EventEnvelope) -> None:
        payload = parse_payload(envelope)
        if isinstance(payload, ImportContactRows):
            imported = await import_contact_rows(payload, envelope.orgid, uow)
            reply = ContactRowsImported(
                import_id=payload.import_id, batch=payload.batch, rows=imported.outcomes
            )
            await replies.send(
                reply,
                subject=f"{payload.import_id}:{payload.batch}",
                org_id=envelope.orgid,
                sequence=payload.batch,
                along=uow.contacts.created_entries(imported.created),
            )
            return
        if not isinstance(
            payload, GroupMembershipChanged | GroupCreated | GroupUpdated | GroupDeleted
        ):
            return
        if envelope.sequence is None:
            raise PoisonEvent(f"{envelope.event_type} without a sequence cannot be ordered")
        org_id, sequence = envelope.orgid, envelope.sequence
        if isinstance(payload, GroupMembershipChanged):
            await handlers.apply_group_membership(
                ApplyGroupMembership(
                    org_id=org_id,
                    group_id=payload.group_id,
                    sequence=sequence,
                    added=payload.added,
                    removed=payload.removed,
                ),
                uow,
            )
        elif isinstance(payload, GroupDeleted):
            await uow.groups.apply(org_id, payload.group_id, sequence, None)
            await uow.contacts.remove_group(org_id, payload.group_id)
        else:
            state = payload.model_dump(include={"name", "type", "query", "staff"})
            await uow.groups.apply(org_id, payload.group_id, sequence, state)

    return handle
