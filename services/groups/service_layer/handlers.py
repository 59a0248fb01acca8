"""One handler per command. Handlers validate, ask the Group aggregate to decide, and store it."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Sequence

from services.groups.domain.commands import (
    MAX_IDS_PER_CALL,
    ChangeMembers,
    CreateGroup,
    DeleteGroup,
    RecountMembers,
    RepublishMemberships,
    UpdateGroup,
)
from services.groups.domain.errors import (
    InvalidGroup,
    TooManyGroups,
    VersionConflict,
)
from services.groups.domain.member import refusal
from services.groups.domain.model import Group, GroupType
from services.groups.service_layer import queries
from services.groups.service_layer.ports import BackgroundWork
from services.groups.service_layer.results import MembershipOutcome, Recount
from services.groups.service_layer.staff import check_staff
from services.groups.service_layer.unit_of_work import GroupsUnitOfWork
from shared.catch_up import ASK_ONCE, CatchUp
from shared.contracts.groups import MembershipReason

MAX_SAVE_ATTEMPTS = 20
# Ids per stored change: 10 events of 1,000 ids, so a group's outbox stays small.
QUERY_CHUNK = 10_000


async def create_group(
    cmd: CreateGroup, uow: GroupsUnitOfWork, background: BackgroundWork, catch_up: CatchUp
) -> Group:
    group = await new_group(cmd, uow, catch_up)
    if group.is_smart:
        background.evaluate(group.org_id, group.id)
    return group


async def new_group(cmd: CreateGroup, uow: GroupsUnitOfWork, catch_up: CatchUp = ASK_ONCE) -> Group:
    """A new group stored (a manual one, unless a query is given)."""
    if await uow.groups.count(cmd.by.org_id) >= uow.max_groups:
        raise TooManyGroups(
            f"an organisation has at most {uow.max_groups} groups", limit=uow.max_groups
        )
    query = None
    if cmd.query is not None:
        query = (await queries.smart_query(uow, cmd.by.org_id, cmd.query, catch_up)).text
    await check_staff(uow, cmd.by.org_id, cmd.staff, catch_up)
    group = Group.create(
        id=uow.new_id(),
        org_id=cmd.by.org_id,
        name=cmd.name,
        type=GroupType.SMART if query is not None else GroupType.MANUAL,
        description=cmd.description,
        query=query,
        blacklisted=cmd.blacklisted,
        staff=cmd.staff,
        now=uow.clock(),
    )
    await uow.groups.add(group)
    return group


async def update_group(
    cmd: UpdateGroup, uow: GroupsUnitOfWork, background: BackgroundWork, catch_up: CatchUp
) -> Group:
    group = await queries.load_visible(uow, cmd.by, cmd.group_id)
    if cmd.expected_version is not None and cmd.expected_version != group.version:
        raise VersionConflict(
            "the group was changed by someone else",
            expected_version=cmd.expected_version,
            current_version=group.version,
        )
    changes = dict(cmd.changes)
    if "query" in changes and not group.is_smart:
        raise InvalidGroup("only smart groups have a query", field="query")
    if changes.get("query") is not None:
        query = await queries.smart_query(uow, group.org_id, changes["query"], catch_up)
        changes["query"] = query.text
    if isinstance(changes.get("staff"), list):
        await check_staff(uow, group.org_id, changes["staff"], catch_up)
    read_version = group.version
    group.update(changes, uow.clock())
    if group.events:
        await uow.groups.save(group, read_version)
    if group.is_smart and group.query_changed:
        background.evaluate(group.org_id, group.id)
    return group


async def delete_group(cmd: DeleteGroup, uow: GroupsUnitOfWork) -> None:
    """Members leave with the group (the consumer of GroupDeleted); contacts stay."""
    group = await queries.load_visible(uow, cmd.by, cmd.group_id)
    read_version = group.version
    group.delete(uow.clock())
    await uow.groups.save(group, read_version)


async def change_members(
    cmd: ChangeMembers, uow: GroupsUnitOfWork, catch_up: CatchUp
) -> MembershipOutcome:
    """A contact created a moment ago in the contacts service may not be known here yet: it is
    waited for (`catch_up`) before it is refused as unknown."""
    group = await queries.load_visible(uow, cmd.by, cmd.group_id)
    group.check_manual_membership()
    ids = list(dict.fromkeys(cmd.contact_ids))
    if len(ids) > MAX_IDS_PER_CALL:
        raise InvalidGroup(f"at most {MAX_IDS_PER_CALL} contact ids per call")
    contacts = await uow.contacts.get_many(cmd.by.org_id, ids)
    if len(contacts) < len(ids):

        async def arrived() -> bool:
            missing = [i for i in ids if i not in contacts]
            contacts.update(await uow.contacts.get_many(cmd.by.org_id, missing))
            return len(contacts) == len(ids)

        await catch_up.until(arrived)
    outcome = MembershipOutcome()
    for contact_id in ids:
        contact = contacts.get(contact_id)
        is_member = contact is not None and cmd.group_id in contact.groups
        reason = refusal(contact) if cmd.add else None
        if contact is None or contact.gone:
            outcome.refused[contact_id] = "unknown_contact"
        elif reason:
            outcome.refused[contact_id] = reason
        elif is_member == cmd.add:
            outcome.unchanged.append(contact_id)
        else:
            outcome.changed.append(contact_id)
    await record_membership(
        uow, cmd.by.org_id, cmd.group_id, cmd.add, outcome.changed, "manual", cmd.by.actor
    )
    return outcome


async def record_membership(
    uow: GroupsUnitOfWork,
    org_id: str,
    group_id: str,
    add: bool,
    contact_ids: Sequence[str],
    reason: MembershipReason,
    actor: str,
) -> bool:
    """Stores the change as the group's events; False if the group is gone. Each contact
    once, however often it is listed (counts follow the events)."""
    contact_ids = list(dict.fromkeys(contact_ids))
    if not contact_ids:
        return True

    def change(group: Group) -> None:
        group.change_membership(
            added=contact_ids if add else (),
            removed=() if add else contact_ids,
            reason=reason,
            actor=actor,
            now=uow.clock(),
        )

    return await mutate_group(uow, org_id, group_id, change)


async def mutate_group(
    uow: GroupsUnitOfWork,
    org_id: str,
    group_id: str,
    change: Callable[[Group], None],
) -> bool:
    """Applies `change` to the current group, retrying when a concurrent change won."""
    for attempt in range(1, MAX_SAVE_ATTEMPTS + 1):
        group = await uow.groups.get(org_id, group_id)
        if group is None:
            return False
        read_version = group.version
        change(group)
        try:
            await uow.groups.save(group, read_version)
            return True
        except VersionConflict:
            if attempt == MAX_SAVE_ATTEMPTS:
                raise
            await asyncio.sleep(random.uniform(0, 0.01 * attempt))
    raise AssertionError("unreachable")


async def recount_members(cmd: RecountMembers, uow: GroupsUnitOfWork) -> Recount:
    """Counts again until no membership change lands in between (at most ten times)."""
    group = await queries.load_visible(uow, cmd.by, cmd.group_id)
    for _ in range(10):
        applied = await uow.groups.applied_seq(group.id)
        count = await uow.contacts.count_members(group.org_id, group.id)
        if await uow.groups.set_member_count(group.id, count, applied):
            return Recount(group.id, group.member_count, count)
    raise VersionConflict("members keep changing; recount later", id=group.id)


async def republish_memberships(cmd: RepublishMemberships, uow: GroupsUnitOfWork) -> None:
    group = await queries.load_visible(uow, cmd.by, cmd.group_id)
    for add, ids in ((True, cmd.added), (False, cmd.removed)):
        await record_membership(uow, group.org_id, group.id, add, ids, "reconcile", cmd.by.actor)
