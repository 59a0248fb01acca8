"""What the contacts service does with the groups service's events: keep its directory of groups
(names for queries, staff, smart groups' queries) and `contact.groups` in line with them."""

from __future__ import annotations

from services.contacts.service_layer.unit_of_work import ContactsUnitOfWork
from shared.contracts.groups import GroupCreated, GroupDeleted, GroupMembershipChanged, GroupUpdated
from shared.messagebus import Received


async def apply_group_saved(
    event: Received[GroupCreated] | Received[GroupUpdated], uow: ContactsUnitOfWork
) -> None:
    group = event.payload
    state = group.model_dump(include={"name", "type", "query", "staff"})
    await uow.groups.apply(event.org_id, group.group_id, event.ordered_sequence, state)


async def apply_group_deleted(event: Received[GroupDeleted], uow: ContactsUnitOfWork) -> None:
    group_id = event.payload.group_id
    await uow.groups.apply(event.org_id, group_id, event.ordered_sequence, None)
    await uow.memberships.remove_group(event.org_id, group_id)


async def apply_group_membership(
    event: Received[GroupMembershipChanged], uow: ContactsUnitOfWork
) -> None:
    """Events of a deleted group are late redeliveries: its members are gone with it."""
    change, sequence = event.payload, event.ordered_sequence
    if await uow.groups.is_deleted(change.group_id):
        return
    await uow.memberships.apply(
        event.org_id, change.group_id, sequence, change.added, change.removed
    )
