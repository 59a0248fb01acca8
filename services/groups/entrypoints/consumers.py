"""Kafka consumer of the groups service: contacts, organisation settings and field definitions
into its projections, the group's own membership events into members, and the importer's
commands (imported contacts to add to groups)."""

from __future__ import annotations

from services.groups.service_layer import membership_handlers
from services.groups.service_layer.import_handlers import import_group_members
from services.groups.service_layer.unit_of_work import GroupsUnitOfWork
from shared.contactql.values import FieldType
from shared.contracts.contacts import (
    ContactAnonymized,
    ContactCreated,
    ContactDeleted,
    ContactStatusChanged,
    ContactUpdated,
    FieldChanged,
    FieldDefined,
    FieldDeleted,
)
from shared.contracts.envelope import EventEnvelope
from shared.contracts.groups import GroupDeleted, GroupMembershipChanged
from shared.contracts.imports import ImportGroupMembers
from shared.contracts.organizations import OrganizationUpdated
from shared.contracts.registry import parse_payload
from shared.contracts.topics import CONTACTS, GROUP_COMMANDS, GROUPS, ORGANIZATIONS
from shared.kafka.consumer import BulkHandler, EventHandler, PoisonEvent
from shared.mongo.replies import ReplyOutbox

CONSUMED_TOPICS = (CONTACTS.name, ORGANIZATIONS.name, GROUPS.name, GROUP_COMMANDS.name)
CONTACT_EVENTS = (
    ContactCreated,
    ContactUpdated,
    ContactStatusChanged,
    ContactAnonymized,
    ContactDeleted,
)


def events_handler(uow: GroupsUnitOfWork, replies: ReplyOutbox) -> EventHandler:
    async def handle(envelope: EventEnvelope) -> None:
        payload = parse_payload(envelope)
        org_id = envelope.orgid
        if isinstance(payload, ImportGroupMembers):
            reply = await import_group_members(payload, org_id, uow)
            subject = f"{payload.import_id}:{payload.batch}"
            await replies.send(reply, subject=subject, org_id=org_id, sequence=payload.batch)
            return
        if isinstance(payload, GroupDeleted):
            await membership_handlers.apply_group_deleted(uow, org_id, payload.group_id)
            return
        if isinstance(payload, OrganizationUpdated):
            sequence = _sequence(envelope)
            await uow.organizations.apply_settings(
                org_id, sequence, payload.timezone, payload.default_country
            )
            return
        if not isinstance(
            payload,
            (*CONTACT_EVENTS, GroupMembershipChanged, FieldDefined, FieldChanged, FieldDeleted),
        ):
            return  # GroupCreated/GroupUpdated: this service's own state already
        sequence = _sequence(envelope)
        if isinstance(payload, GroupMembershipChanged):
            await membership_handlers.apply_membership_change(
                uow, org_id, payload.group_id, sequence, payload.added, payload.removed
            )
        elif isinstance(payload, FieldDefined | FieldChanged):
            await uow.organizations.apply_field(
                org_id, payload.key, sequence, FieldType(payload.type)
            )
        elif isinstance(payload, FieldDeleted):
            await uow.organizations.apply_field(org_id, payload.key, sequence, None)
        else:
            await membership_handlers.apply_contact_event(
                uow, org_id, payload.contact_id, sequence, payload
            )

    return handle


def _sequence(envelope: EventEnvelope) -> int:
    if envelope.sequence is None:
        raise PoisonEvent(f"{envelope.event_type} without a sequence cannot be ordered")
    return envelope.sequence


def bulk_handler(uow: GroupsUnitOfWork) -> BulkHandler:
    """Runs of ContactCreated (imports, batch creation) are projected with one insert."""

    async def handle(envelopes: list[EventEnvelope]) -> int:
        created: list[tuple[str, int, ContactCreated]] = []
        for envelope in envelopes:
            payload = parse_payload(envelope)
            if not isinstance(payload, ContactCreated) or envelope.sequence is None:
                break
            created.append((envelope.orgid, envelope.sequence, payload))
        if len(created) < 2:
            return 0
        await membership_handlers.apply_contacts_created(uow, created)
        return len(created)

    return handle
