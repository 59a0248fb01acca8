"""How the groups service follows events: contacts into its projection, the group's own
membership events into members, organisations' settings and fields, and the rules that follow.

- A contact that is blocked, stopped, archived, deleted or anonymized leaves every group.
- A smart group's members are the active contacts matching its query, re-checked whenever the
  contact changes and whenever a membership change of that group is applied.

Every step reads current state and only records what differs, so a redelivered event changes
nothing (at most it repeats a change that the projections then ignore).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from services.groups.domain.member import MemberContact, follow
from services.groups.domain.model import Group, SmartStatus
from services.groups.service_layer import queries
from services.groups.service_layer.handlers import record_membership
from services.groups.service_layer.join_handlers import join_waiting
from services.groups.service_layer.unit_of_work import GroupsUnitOfWork
from shared.contactql.errors import QueryError
from shared.contactql.evaluate import matches
from shared.contactql.resolve import ContactQuery, QueryContext, parse_query
from shared.contracts.contacts import (
    ContactAnonymized,
    ContactCreated,
    ContactDeleted,
    ContactStatusChanged,
    ContactUpdated,
)
from shared.contracts.groups import GroupDeleted, GroupMembershipChanged, MembershipReason
from shared.messagebus import Received

ContactChange = (
    Received[ContactUpdated]
    | Received[ContactStatusChanged]
    | Received[ContactAnonymized]
    | Received[ContactDeleted]
)

SYSTEM_ACTOR = "system:groups"


async def apply_contact_event(event: ContactChange, uow: GroupsUnitOfWork) -> None:
    org_id, sequence = event.org_id, event.ordered_sequence
    current = await uow.contacts.get(org_id, event.payload.contact_id)
    contact = current
    if current is None or current.version < sequence:
        contact = follow(current, event.payload, org_id, sequence)
        if contact is None:
            return
        await uow.contacts.save(contact)
    assert contact is not None
    if contact.can_be_member:
        await settle_smart_groups(uow, [contact])
    else:
        reason: MembershipReason = "contact_deleted" if contact.gone else "contact_status"
        for group_id in contact.groups:
            await record_membership(
                uow, org_id, group_id, False, [contact.id], reason, SYSTEM_ACTOR
            )
    await join_waiting(uow, [contact])


async def apply_contacts_created(
    events: Sequence[Received[ContactCreated]], uow: GroupsUnitOfWork
) -> None:
    """New contacts, many at once where they come in a run (a bulk import): one insert; those
    projected before (a redelivery, or an import's placeholders) read and updated in one round
    trip each; then the smart-group rules."""
    contacts = [follow(None, e.payload, e.org_id, e.ordered_sequence) for e in events]
    new = [c for c in contacts if c is not None]
    known = await uow.contacts.add_many(new)
    await _drop_deleted_groups(uow, [c for c in new if c.groups and c.id not in known])
    current: dict[str, MemberContact] = {}
    for org_id in {c.org_id for c in new if c.id in known}:
        ids = [c.id for c in new if c.id in known and c.org_id == org_id]
        current |= await uow.contacts.get_many(org_id, ids)
    newer: list[MemberContact] = []
    settled: list[MemberContact] = []
    projected: list[MemberContact] = []
    for contact in new:
        if contact.id in known:
            before = current.get(contact.id)
            if before is None:
                continue
            if before.version < contact.version:
                contact.groups = before.groups
                newer.append(contact)
            else:
                contact = before
        projected.append(contact)
        if contact.can_be_member:
            settled.append(contact)
    await uow.contacts.save_many(newer)
    await settle_smart_groups(uow, settled)
    await join_waiting(uow, projected)


async def _drop_deleted_groups(uow: GroupsUnitOfWork, created: Sequence[MemberContact]) -> None:
    """Contacts just projected in the groups they were created in: a group deleted meanwhile
    is taken out again. A group is marked deleted before its members are taken out, so either
    this sees it or that removal comes after these contacts were stored."""
    checked: set[tuple[str, str]] = set()
    for contact in created:
        for group_id in contact.groups:
            if (contact.org_id, group_id) in checked:
                continue
            checked.add((contact.org_id, group_id))
            if await uow.groups.get(contact.org_id, group_id) is None:
                await uow.contacts.remove_group(contact.org_id, group_id)


async def apply_membership_change(
    event: Received[GroupMembershipChanged], uow: GroupsUnitOfWork
) -> None:
    """Members follow the group's own events in order. This service alone decides who may
    join: a contact blocked (or gone) since the change was recorded is refused here, and a
    removal is announced for it, so the contacts service (which applies events as they come)
    ends up agreeing."""
    org_id, sequence = event.org_id, event.ordered_sequence
    group_id, added, removed = event.payload.group_id, event.payload.added, event.payload.removed
    group = await uow.groups.get(org_id, group_id)
    if group is None or sequence <= await uow.groups.applied_seq(group_id):
        return  # deleted (GroupDeleted takes the members out), or already applied
    interrupted = await uow.groups.begin_apply(group_id, sequence)
    from_import = event.payload.reason == "import"  # its contacts were reported active
    joined, refused = await uow.contacts.add_to_group(
        org_id, group_id, added, enter_unseen=from_import
    )
    left = await uow.contacts.remove_from_group(org_id, group_id, removed)
    await record_membership(uow, org_id, group_id, False, refused, "contact_status", SYSTEM_ACTOR)
    if group.is_smart:  # before recording: a failure here gets the event redelivered
        contacts = await uow.contacts.get_many(org_id, [*added, *removed])
        context = await queries.query_context(uow, org_id)
        query = _smart_query(group, context)
        if query is not None:
            await _settle(uow, group, query, list(contacts.values()))
    if interrupted:  # part of this change may have been counted by nobody
        count = await uow.contacts.count_members(org_id, group_id)
        await uow.groups.record_applied(group_id, sequence, count=count)
    else:
        await uow.groups.record_applied(group_id, sequence, delta=joined - left)


async def apply_group_deleted(event: Received[GroupDeleted], uow: GroupsUnitOfWork) -> None:
    await uow.contacts.remove_group(event.org_id, event.payload.group_id)


async def settle_smart_groups(uow: GroupsUnitOfWork, contacts: Sequence[MemberContact]) -> None:
    """Each organisation's smart groups and query context read once, each query parsed once,
    and each group's changes recorded together, however many contacts (an import's batch)."""
    by_org: dict[str, list[MemberContact]] = defaultdict(list)
    for contact in contacts:
        by_org[contact.org_id].append(contact)
    for org_id, members in by_org.items():
        groups = await uow.groups.smart_groups(org_id)
        if not groups:
            continue
        context = await queries.query_context(uow, org_id)
        for group in groups:
            query = _smart_query(group, context)
            if query is not None:
                await _settle(uow, group, query, members)


async def _settle(
    uow: GroupsUnitOfWork, group: Group, query: ContactQuery, contacts: Sequence[MemberContact]
) -> None:
    """Records the changes that bring these contacts' membership in line with the query."""
    join: list[str] = []
    leave: list[str] = []
    for contact in contacts:
        should = contact.can_be_member and matches(query.predicate, contact)
        if should and group.id not in contact.groups:
            join.append(contact.id)
        elif not should and group.id in contact.groups:
            leave.append(contact.id)
    for add, ids in ((True, join), (False, leave)):
        await record_membership(uow, group.org_id, group.id, add, ids, "smart_group", SYSTEM_ACTOR)


def _smart_query(group: Group, context: QueryContext) -> ContactQuery | None:
    if group.query is None or group.smart_status is SmartStatus.INVALID:
        return None
    try:
        return parse_query(group.query, context)
    except QueryError:
        return None  # the evaluation worker marks the group invalid
