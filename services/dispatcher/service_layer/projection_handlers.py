"""The audience projection: the dispatcher's copies of contacts and groups, kept from the
contacts and groups services' events (it never reads their databases).

Contact events come keyed by contact, group events keyed by group, on two topics, so neither
waits for the other: a group's event may name a contact whose `ContactCreated` has not come
yet. Such a contact is entered as a placeholder holding its groups, and its `ContactCreated`
fills in the rest without touching them. The groups service decides who is a member; this
copy applies its decisions in each group's order (`applied_seq`).
"""

from __future__ import annotations

from collections.abc import Sequence

from services.dispatcher.domain.audience import AudienceContact, AudienceGroup
from services.dispatcher.service_layer.unit_of_work import DispatcherUnitOfWork
from shared.contracts.contact_copy import follow_contact
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
from shared.contracts.organization_copy import FieldEvent, follow_organization
from shared.contracts.organizations import OrganizationUpdated
from shared.messagebus import Received

ContactEvent = ContactCreated | ContactUpdated | ContactStatusChanged | ContactAnonymized
AnyContactEvent = ContactEvent | ContactDeleted


async def apply_contact_events(
    events: Sequence[Received[AnyContactEvent]], uow: DispatcherUnitOfWork
) -> None:
    """A run of one type of contact event (an import's thousand `ContactCreated` at once):
    the copies read in one round trip, the new ones inserted in one, the rest written in one.
    An event older than the copy is skipped (redelivered, or overtaken)."""
    by_org: dict[str, list[Received[AnyContactEvent]]] = {}
    for event in events:
        by_org.setdefault(event.org_id, []).append(event)
    for org_id, received in by_org.items():
        ids = list(dict.fromkeys(e.payload.contact_id for e in received))
        current = await uow.audience.get_contacts(org_id, ids)
        new: dict[str, AudienceContact] = {}
        changed: dict[str, AudienceContact] = {}
        for event in received:
            contact_id, sequence = event.payload.contact_id, event.ordered_sequence
            before = changed.get(contact_id) or new.get(contact_id) or current.get(contact_id)
            if before is not None and before.version >= sequence:
                continue
            after = follow_contact(AudienceContact, before, event.payload, org_id, sequence)
            if after is None:
                continue  # an update of a contact never created here: nothing to apply it to
            if contact_id in current:
                changed[contact_id] = after
            else:
                new[contact_id] = after
        raced = await uow.audience.add_contacts(list(new.values()))
        # Entered meanwhile (a group's event made a placeholder): written over, groups kept.
        changed |= {i: c for i, c in new.items() if i in raced}
        await uow.audience.save_contacts(list(changed.values()))


async def apply_group_state(
    event: Received[GroupCreated] | Received[GroupUpdated], uow: DispatcherUnitOfWork
) -> None:
    group = event.payload
    await uow.audience.save_group(
        AudienceGroup(
            id=group.group_id,
            org_id=event.org_id,
            name=group.name,
            blacklisted=group.blacklisted,
            staff=list(group.staff),
            version=event.ordered_sequence,
        )
    )


async def apply_group_deleted(event: Received[GroupDeleted], uow: DispatcherUnitOfWork) -> None:
    await uow.audience.delete_group(event.org_id, event.payload.group_id)


async def apply_membership_change(
    event: Received[GroupMembershipChanged], uow: DispatcherUnitOfWork
) -> None:
    """Applied once, in the group's order: a redelivered change is skipped by its sequence; a
    change interrupted by a crash is applied again whole, which is idempotent."""
    change, sequence = event.payload, event.ordered_sequence
    if sequence <= await uow.audience.applied_seq(change.group_id):
        return
    groups = await uow.audience.get_groups(event.org_id, [change.group_id])
    if change.group_id not in groups:
        return  # deleted since (GroupDeleted took the members out), or another org's
    await uow.audience.apply_membership(event.org_id, change.group_id, change.added, change.removed)
    await uow.audience.record_applied(change.group_id, sequence)


async def apply_organization_event(
    event: Received[OrganizationUpdated] | Received[FieldEvent], uow: DispatcherUnitOfWork
) -> None:
    """Quiet hours' time zone, templates' default language, queries' fields and country."""
    await follow_organization(uow.organizations, event)
