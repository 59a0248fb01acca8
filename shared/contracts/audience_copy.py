"""A service's copy of the organisation's audience: contacts (with the groups each is in),
groups, and who is in which group, folded from the contacts service's events
(`roster.contacts`) and the groups service's (`roster.groups`).

The dispatcher (who a broadcast reaches) and the flows service (who wrote in, who a flow
starts for, whom a trigger applies to) each keep one in their own database; this is the one
reading of those events they share, over the `AudienceProjection` port
(`shared.mongo.audience_copies` on MongoDB, `tests/fakes/audience.py` in memory).

Contact events come keyed by contact, group events keyed by group, on two topics, so neither
waits for the other: a group's event may name a contact whose `ContactCreated` has not come
yet. Such a contact is entered as a placeholder holding its groups, and its `ContactCreated`
fills in the rest without touching them. The groups service decides who is a member; this
copy applies its decisions in each group's order (`applied_seq`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from shared.catch_up import CatchUp
from shared.contactql.predicates import Predicate
from shared.contactql.resolve import (
    UNKNOWN_FIELD,
    UNKNOWN_GROUP,
    ContactQuery,
    QueryContext,
    parse_when_known,
)
from shared.contracts.contact_copy import ContactCopy, follow_contact
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
from shared.contracts.organization_copy import OrganizationCopies
from shared.messagebus import Batched, Received, Registration


@dataclass
class AudienceContact(ContactCopy):
    """A service's copy of a contact, with the groups it is in. One created by a group's
    event before its own `ContactCreated` arrived is a placeholder (version 0): not known
    yet, so not counted."""

    @property
    def known(self) -> bool:
        return self.version > 0 and not self.gone


@dataclass
class AudienceGroup:
    """A service's copy of a group: its name (queries and flows name groups), whether its
    members may be sent to at all (blacklisted), and its staff (who may reach its members)."""

    id: str
    org_id: str
    name: str
    blacklisted: bool = False
    staff: list[str] = field(default_factory=list)
    version: int = 0  # the group's sequence its state was copied at
    applied_seq: int = 0  # the last membership change applied
    deleted: bool = False


class AudienceProjection(Protocol):
    """A service's copies of contacts and groups, and who is in which group, projected from
    the contacts and groups services' events. Contacts' `groups` and the membership
    index are written only by `apply_membership` and `delete_group`, in the group's event
    order; contact events never touch them."""

    async def get_contacts(self, org_id: str, ids: Sequence[str]) -> dict[str, AudienceContact]:
        """The organisation's copies of these contacts, placeholders included."""
        ...

    async def add_contacts(self, contacts: Sequence[AudienceContact]) -> set[str]:
        """Inserts new copies with their groups; returns the ids already there."""
        ...

    async def save_contacts(self, contacts: Sequence[AudienceContact]) -> None:
        """Writes each copy's state but its groups, unless the stored copy is as new."""
        ...

    async def get_groups(self, org_id: str, ids: Sequence[str]) -> dict[str, AudienceGroup]:
        """The organisation's groups among `ids`, deleted ones left out."""
        ...

    async def blacklisted_groups(self, org_id: str) -> frozenset[str]: ...

    async def org_groups(self, org_id: str) -> list[AudienceGroup]:
        """Every group of the organisation, deleted ones left out (a query names them)."""
        ...

    def matching_pages(
        self, org_id: str, predicate: Predicate
    ) -> AsyncIterator[list[AudienceContact]]:
        """The organisation's contacts the predicate matches, in id order, a page at a time
        (from one scan of the copies: queries select on any attribute or field)."""
        ...

    async def save_group(self, group: AudienceGroup) -> None:
        """The group's state (name, blacklisted, staff), unless a newer one is stored."""
        ...

    async def delete_group(self, org_id: str, group_id: str) -> None:
        """Marks the group deleted, then takes it out of every contact."""
        ...

    async def applied_seq(self, group_id: str) -> int: ...

    async def apply_membership(
        self, org_id: str, group_id: str, added: Sequence[str], removed: Sequence[str]
    ) -> None:
        """Idempotent: contacts not copied yet are entered as placeholders."""
        ...

    async def record_applied(self, group_id: str, sequence: int) -> None: ...

    async def members_page(self, group_id: str, after: str | None, limit: int) -> list[str]:
        """Member ids in id order, after `after`."""
        ...

    async def contacts_by_phone(
        self, org_id: str, phones: Sequence[str]
    ) -> dict[str, AudienceContact]:
        """By phone (E.164): the organisation's known contacts holding these phones (who wrote
        in), deleted ones left out."""
        ...


class HoldsAudience(Protocol):
    """A unit of work with an audience copy: what the handlers below are registered with."""

    @property
    def audience(self) -> AudienceProjection: ...


async def audience_query(
    audience: AudienceProjection,
    organizations: OrganizationCopies,
    org_id: str,
    text: str,
    catch_up: CatchUp,
) -> ContactQuery:
    """A contactql query over the audience copy (a broadcast's, a flow start's), read against the
    organisation's fields and settings (`organizations`) and its groups (the copy's); a field or
    group created a moment ago, not copied here yet, is waited for (`catch_up`)."""

    async def context() -> QueryContext:
        groups = await audience.org_groups(org_id)
        names = {g.name.casefold(): g.id for g in groups} | {g.id: g.id for g in groups}
        return (await organizations.get(org_id)).query_context(names)

    return await parse_when_known(text, context, catch_up, (UNKNOWN_FIELD, UNKNOWN_GROUP))


ContactEvent = ContactCreated | ContactUpdated | ContactStatusChanged | ContactAnonymized
AnyContactEvent = ContactEvent | ContactDeleted


async def apply_contact_events(
    events: Sequence[Received[AnyContactEvent]], uow: HoldsAudience
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
    event: Received[GroupCreated] | Received[GroupUpdated], uow: HoldsAudience
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


async def apply_group_deleted(event: Received[GroupDeleted], uow: HoldsAudience) -> None:
    await uow.audience.delete_group(event.org_id, event.payload.group_id)


async def apply_membership_change(
    event: Received[GroupMembershipChanged], uow: HoldsAudience
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


# A run of contact events of one type (a bulk import's) is projected in a few round trips.
_CONTACTS: list[Registration] = [Batched(apply_contact_events)]

# What a service keeping an audience copy registers on its bus, beside its own handlers.
AUDIENCE_EVENT_HANDLERS: Mapping[type, Sequence[Registration]] = {
    ContactCreated: _CONTACTS,
    ContactUpdated: _CONTACTS,
    ContactStatusChanged: _CONTACTS,
    ContactAnonymized: _CONTACTS,
    ContactDeleted: _CONTACTS,
    GroupCreated: [apply_group_state],
    GroupUpdated: [apply_group_state],
    GroupDeleted: [apply_group_deleted],
    GroupMembershipChanged: [apply_membership_change],
}
