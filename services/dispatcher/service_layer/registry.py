"""The dispatcher's registry: which handler each message goes to (see `shared.messagebus`).

Commands come from the HTTP API; events come over Kafka from the contacts service (contacts)
and the groups service (groups and their memberships), into the audience projection."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from services.dispatcher.domain import commands
from services.dispatcher.service_layer import channel_handlers, projection_handlers
from shared.contracts.contacts import (
    ContactAnonymized,
    ContactCreated,
    ContactDeleted,
    ContactStatusChanged,
    ContactUpdated,
)
from shared.contracts.groups import (
    GroupCreated,
    GroupDeleted,
    GroupMembershipChanged,
    GroupUpdated,
)
from shared.messagebus import Batched, Registration

COMMAND_HANDLERS: Mapping[type, Registration] = {
    commands.CreateChannel: channel_handlers.create_channel,
    commands.UpdateChannel: channel_handlers.update_channel,
    commands.DeleteChannel: channel_handlers.delete_channel,
}

# A run of contact events of one type (a bulk import's) is projected in a few round trips.
_CONTACTS = [Batched(projection_handlers.apply_contact_events)]

EVENT_HANDLERS: Mapping[type, Sequence[Registration]] = {
    ContactCreated: _CONTACTS,
    ContactUpdated: _CONTACTS,
    ContactStatusChanged: _CONTACTS,
    ContactAnonymized: _CONTACTS,
    ContactDeleted: _CONTACTS,
    GroupCreated: [projection_handlers.apply_group_state],
    GroupUpdated: [projection_handlers.apply_group_state],
    GroupDeleted: [projection_handlers.apply_group_deleted],
    GroupMembershipChanged: [projection_handlers.apply_membership_change],
}
