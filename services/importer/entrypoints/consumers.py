"""Kafka consumer of the importer: the contacts and groups services' answers to its commands
(`roster.imports.replies`), and what it projects of organisations (default country from
`roster.organizations`, field definitions from `roster.contacts`). Other contact events are
skipped by their type header, without being decoded."""

from __future__ import annotations

from collections.abc import Callable

from services.importer.service_layer.replies import on_contact_rows, on_group_members
from services.importer.service_layer.unit_of_work import ImportsUnitOfWork
from shared.contracts.contacts import FieldChanged, FieldDefined, FieldDeleted
from shared.contracts.envelope import EventEnvelope
from shared.contracts.imports import ContactRowsImported, GroupMembersImported
from shared.contracts.organizations import OrganizationUpdated
from shared.contracts.registry import parse_payload
from shared.contracts.topics import CONTACTS, IMPORT_REPLIES, ORGANIZATIONS
from shared.kafka.consumer import EventHandler, PoisonEvent

CONSUMED_TOPICS = (IMPORT_REPLIES.name, ORGANIZATIONS.name, CONTACTS.name)
HANDLED_TYPES = frozenset(
    cls.event_type
    for cls in (
        ContactRowsImported,
        GroupMembersImported,
        OrganizationUpdated,
        FieldDefined,
        FieldChanged,
        FieldDeleted,
    )
)


def accepts() -> Callable[[str], bool]:
    return HANDLED_TYPES.__contains__


def importer_consumer(uow: ImportsUnitOfWork, on_reply: Callable[[], None]) -> EventHandler:
    async def handle(envelope: EventEnvelope) -> None:
        payload = parse_payload(envelope)
        org_id = envelope.orgid
        if isinstance(payload, ContactRowsImported):
            await on_contact_rows(payload, org_id, uow)
            on_reply()
        elif isinstance(payload, GroupMembersImported):
            await on_group_members(payload, org_id, uow)
            on_reply()
        elif isinstance(payload, OrganizationUpdated):
            await uow.directory.apply_settings(org_id, _sequence(envelope), payload.default_country)
        elif isinstance(payload, FieldDefined | FieldChanged):
            await uow.directory.apply_field(org_id, payload.key, _sequence(envelope), payload.type)
        elif isinstance(payload, FieldDeleted):
            await uow.directory.apply_field(org_id, payload.key, _sequence(envelope), None)

    return handle


def _sequence(envelope: EventEnvelope) -> int:
    if envelope.sequence is None:
        raise PoisonEvent(f"{envelope.event_type} without a sequence cannot be ordered")
    return envelope.sequence
