"""The importer's registry: which handler each message goes to (see `shared.messagebus`).

Commands come from the HTTP API and from the import worker; events come over Kafka: the contacts
and groups services' answers to its batches, and organisations' settings and fields.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from services.importer.domain import commands
from services.importer.service_layer import handlers, jobs, pipeline, replies
from shared.contracts.contacts import FieldChanged, FieldDefined, FieldDeleted
from shared.contracts.imports import ContactRowsImported, GroupMembersImported
from shared.contracts.organizations import OrganizationUpdated
from shared.messagebus import Registration

COMMAND_HANDLERS: Mapping[type, Registration] = {
    commands.StartImport: handlers.start_import,
    commands.PreviewImport: handlers.preview_import,
    commands.CancelImport: handlers.cancel_import,
    commands.RunImport: pipeline.run_import,
    commands.SettleImport: jobs.settle_import,
    commands.FailImport: jobs.fail_import,
    commands.DeleteExpiredReports: jobs.delete_expired_reports,
}

EVENT_HANDLERS: Mapping[type, Sequence[Registration]] = {
    ContactRowsImported: [replies.on_contact_rows],
    GroupMembersImported: [replies.on_group_members],
    OrganizationUpdated: [replies.apply_organization_settings],
    FieldDefined: [replies.apply_field],
    FieldChanged: [replies.apply_field],
    FieldDeleted: [replies.apply_field],
}
