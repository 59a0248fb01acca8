"""The contacts service's registry: which handler each message goes to (see `shared.messagebus`).

Commands come from the HTTP API, from the field-values worker, from the importer over Kafka
(`ImportContactRows`) and from the flows service (`ChangeContactConsent`: STOP and JOIN;
`ChangeContactFields`, `ChangeContactStatus`: what a flow changes);
events come from the groups service over Kafka, and the dispatcher's inbound messages (the
sender found or created, and marked seen).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from services.contacts.domain import commands
from services.contacts.service_layer import (
    field_handlers,
    flow_handlers,
    group_events,
    handlers,
    inbound_handlers,
)
from services.contacts.service_layer.import_handlers import import_contact_rows
from shared.contracts import contact_commands
from shared.contracts.consent import ChangeContactConsent
from shared.contracts.groups import GroupCreated, GroupDeleted, GroupMembershipChanged, GroupUpdated
from shared.contracts.imports import ImportContactRows
from shared.contracts.inbound import InboundMessageReceived
from shared.messagebus import Registration

COMMAND_HANDLERS: Mapping[type, Registration] = {
    commands.CreateContact: handlers.create_contact,
    commands.CreateContacts: handlers.create_contacts,
    commands.UpdateContact: handlers.update_contact,
    commands.ChangeContactStatus: handlers.change_contact_status,
    commands.ApplyContactAction: handlers.apply_contact_action,
    commands.DeleteContact: handlers.delete_contact,
    commands.AnonymizeContact: handlers.anonymize_contact,
    commands.UpdateOrganization: handlers.update_organization,
    commands.DefineField: field_handlers.define_field,
    commands.ChangeField: field_handlers.change_field,
    commands.DeleteField: field_handlers.delete_field,
    commands.ReconcileFieldValues: field_handlers.reconcile_field_values,
    ImportContactRows: import_contact_rows,
    ChangeContactConsent: inbound_handlers.change_contact_consent,
    contact_commands.ChangeContactFields: flow_handlers.change_contact_fields,
    contact_commands.ChangeContactStatus: flow_handlers.change_contact_status,
}

EVENT_HANDLERS: Mapping[type, Sequence[Registration]] = {
    GroupCreated: [group_events.apply_group_saved],
    GroupUpdated: [group_events.apply_group_saved],
    GroupDeleted: [group_events.apply_group_deleted],
    GroupMembershipChanged: [group_events.apply_group_membership],
    InboundMessageReceived: [inbound_handlers.record_inbound],
}
