"""What the bus refuses outright: an ordered event without its sequence can never be applied in
order, so the consumer must dead-letter it (`UnprocessableMessage`) rather than retry it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from services.groups.service_layer.registry import COMMAND_HANDLERS, EVENT_HANDLERS
from shared.contracts.accounts import UserJoinedOrganization, UserLeftOrganization, UserRoleChanged
from shared.contracts.envelope import EventPayload
from shared.contracts.groups import GroupCreated
from shared.messagebus import UnprocessableMessage
from tests.fakes.groups import (
    ORG,
    FakeGroupsService,
    contact_anonymized,
    contact_created,
    contact_deleted,
    contact_updated,
    field_changed,
    field_defined,
    field_deleted,
    membership_changed,
    organization_updated,
    status_changed,
)
from tests.support.messages import received

# Each of a known contact "c1" or of the given (existing) group.
ORDERED: dict[str, Callable[[str], EventPayload]] = {
    "ContactCreated": lambda _: contact_created("c1"),
    "ContactUpdated": lambda _: contact_updated("c1", name="Amina"),
    "ContactStatusChanged": lambda _: status_changed("c1", "blocked"),
    "ContactAnonymized": lambda _: contact_anonymized("c1"),
    "ContactDeleted": lambda _: contact_deleted("c1"),
    "GroupMembershipChanged": lambda group_id: membership_changed(group_id, added=["c1"]),
    "OrganizationUpdated": lambda _: organization_updated("UTC", None),
    "FieldDefined": lambda _: field_defined("age", "number"),
    "FieldChanged": lambda _: field_changed("age", "number", "text"),
    "FieldDeleted": lambda _: field_deleted("age"),
    "UserJoinedOrganization": lambda _: UserJoinedOrganization(
        user_id="u1", role="staff", name="U"
    ),
    "UserRoleChanged": lambda _: UserRoleChanged(user_id="u1", role="manager"),
    "UserLeftOrganization": lambda _: UserLeftOrganization(user_id="u1"),
}


@pytest.mark.parametrize("event", ORDERED.values(), ids=ORDERED.keys())
async def test_an_ordered_event_without_a_sequence_is_unprocessable(
    service: FakeGroupsService, event: Callable[[str], EventPayload]
) -> None:
    await service.create_contacts("c1")
    group = await service.create_group("Farmers")

    with pytest.raises(UnprocessableMessage):
        await service.bus.handle_many([received(event(group.id), ORG, sequence=None)])


def test_every_ordered_event_the_registry_handles_is_checked_here() -> None:
    """A new ordered event in the registry gets a case above (GroupDeleted needs no order:
    it is the group's last event)."""
    assert {t.__name__ for t in EVENT_HANDLERS} - {"GroupDeleted"} == set(ORDERED)


async def test_the_service_own_state_events_are_skipped(service: FakeGroupsService) -> None:
    """`GroupCreated` and `GroupUpdated` come back over Kafka: they are this service's state."""
    group = await service.create_group("Farmers")
    [published] = service.groups.outbox

    await service.receive(published.payload, sequence=None)

    assert isinstance(published.payload, GroupCreated)
    assert service.bus.handled_types == set(COMMAND_HANDLERS) | set(EVENT_HANDLERS)
    assert GroupCreated not in service.bus.handled_types
    assert service.groups.outbox == [published]
    assert (await service.group(group.id)).version == 1
