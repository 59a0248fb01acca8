"""The groups service's registry: which handler each message goes to (see `shared.messagebus`).

Commands come from the HTTP API, from the background work, from the importer over Kafka
(`ImportGroupMembers`) and from the flows service (`AddContactToGroups`); events come over Kafka
from the contacts service (contacts, settings, fields) and from this service itself (a group's
membership changes and its deletion, applied to its members in order). `GroupCreated` and
`GroupUpdated` are this service's own state already."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from services.groups.domain import commands
from services.groups.service_layer import handlers, member_changes, membership_handlers, staff
from services.groups.service_layer.import_handlers import import_group_members
from services.groups.service_layer.join_handlers import (
    add_contact_to_groups,
    remove_contact_from_groups,
)
from services.groups.service_layer.smart_groups import evaluate_smart_group
from shared.contracts.accounts import UserJoinedOrganization, UserLeftOrganization, UserRoleChanged
from shared.contracts.contacts import (
    ContactAnonymized,
    ContactCreated,
    ContactDeleted,
    ContactStatusChanged,
    ContactUpdated,
)
from shared.contracts.group_commands import AddContactToGroups, RemoveContactFromGroups
from shared.contracts.groups import GroupDeleted, GroupMembershipChanged
from shared.contracts.imports import ImportGroupMembers
from shared.contracts.organization_copy import ORGANIZATION_EVENT_HANDLERS
from shared.messagebus import Batched, Registration

COMMAND_HANDLERS: Mapping[type, Registration] = {
    commands.CreateGroup: handlers.create_group,
    commands.UpdateGroup: handlers.update_group,
    commands.DeleteGroup: handlers.delete_group,
    commands.ChangeMembers: handlers.change_members,
    commands.ChangeMembersByQuery: member_changes.start_member_change,
    commands.RunMemberChange: member_changes.run_member_change,
    commands.EvaluateSmartGroup: evaluate_smart_group,
    commands.RecountMembers: handlers.recount_members,
    commands.RepublishMemberships: handlers.republish_memberships,
    ImportGroupMembers: import_group_members,
    AddContactToGroups: add_contact_to_groups,
    RemoveContactFromGroups: remove_contact_from_groups,
}

EVENT_HANDLERS: Mapping[type, Sequence[Registration]] = {
    # A bulk import's run of ContactCreated is projected in one insert.
    ContactCreated: [Batched(membership_handlers.apply_contacts_created)],
    ContactUpdated: [membership_handlers.apply_contact_event],
    ContactStatusChanged: [membership_handlers.apply_contact_event],
    ContactAnonymized: [membership_handlers.apply_contact_event],
    ContactDeleted: [membership_handlers.apply_contact_event],
    GroupMembershipChanged: [membership_handlers.apply_membership_change],
    GroupDeleted: [membership_handlers.apply_group_deleted],
    **ORGANIZATION_EVENT_HANDLERS,
    UserJoinedOrganization: [staff.apply_user_membership],
    UserRoleChanged: [staff.apply_user_membership],
    UserLeftOrganization: [staff.apply_user_membership],
}
