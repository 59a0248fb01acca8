"""Every published event type, so that schemas, docs and consumers see one list."""

from __future__ import annotations

from shared.contracts.accounts import UserJoinedOrganization, UserLeftOrganization, UserRoleChanged
from shared.contracts.consent import ChangeContactConsent
from shared.contracts.contact_commands import ChangeContactFields, ChangeContactStatus
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
from shared.contracts.envelope import EventEnvelope, EventPayload
from shared.contracts.group_commands import AddContactToGroups, RemoveContactFromGroups
from shared.contracts.groups import (
    GroupCreated,
    GroupDeleted,
    GroupMembershipChanged,
    GroupUpdated,
)
from shared.contracts.imports import (
    ContactRowsImported,
    GroupMembersImported,
    ImportCompleted,
    ImportContactRows,
    ImportGroupMembers,
    ImportProgressed,
    ImportStarted,
)
from shared.contracts.inbound import InboundMessageReceived
from shared.contracts.message_commands import SendMessage
from shared.contracts.messages import (
    BroadcastCompleted,
    BroadcastStarted,
    MessageDelivered,
    MessageFailed,
    MessageRead,
    MessageSent,
)
from shared.contracts.organizations import OrganizationUpdated

EVENT_TYPES: tuple[type[EventPayload], ...] = (
    ContactCreated,
    ContactUpdated,
    ContactStatusChanged,
    ContactAnonymized,
    ContactDeleted,
    FieldDefined,
    FieldChanged,
    FieldDeleted,
    OrganizationUpdated,
    GroupCreated,
    GroupUpdated,
    GroupDeleted,
    GroupMembershipChanged,
    ImportStarted,
    ImportProgressed,
    ImportCompleted,
    ImportContactRows,
    ContactRowsImported,
    ImportGroupMembers,
    GroupMembersImported,
    BroadcastStarted,
    BroadcastCompleted,
    MessageSent,
    MessageDelivered,
    MessageRead,
    MessageFailed,
    InboundMessageReceived,
    ChangeContactConsent,
    AddContactToGroups,
    SendMessage,
    ChangeContactFields,
    ChangeContactStatus,
    RemoveContactFromGroups,
    UserJoinedOrganization,
    UserRoleChanged,
    UserLeftOrganization,
)

_BY_KEY: dict[tuple[str, int], type[EventPayload]] = {
    (cls.event_type, cls.schema_version): cls for cls in EVENT_TYPES
}


# The one class registered for a type, where only one version of it is: a consumer told the
# type by the record's header can then parse envelope and payload in a single pass.
_ONLY_VERSION: dict[str, type[EventPayload]] = {
    cls.event_type: cls
    for cls in EVENT_TYPES
    if sum(other.event_type == cls.event_type for other in EVENT_TYPES) == 1
}


class UnknownEventType(LookupError):
    pass


def payload_class(event_type: str, version: int) -> type[EventPayload]:
    try:
        return _BY_KEY[(event_type, version)]
    except KeyError:
        raise UnknownEventType(f"{event_type} v{version}") from None


def only_version_of(event_type: str) -> type[EventPayload] | None:
    """The payload class of a type registered in one version only; None otherwise."""
    return _ONLY_VERSION.get(event_type)


def parse_payload(envelope: EventEnvelope) -> EventPayload:
    """Validate an envelope's data against the payload model its type and version name."""
    cls = payload_class(envelope.event_type, envelope.schemaversion)
    return cls.model_validate(envelope.data)
