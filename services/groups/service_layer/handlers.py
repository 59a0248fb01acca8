"""One handler per command. Handlers validate, ask the Group aggregate to decide, and store it."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from services.groups.domain.commands import (
    MAX_IDS_PER_CALL,
    ChangeMembers,
    CreateGroup,
    DeleteGroup,
    UpdateGroup,
)
from services.groups.domain.errors import (
    GroupNotFound,
    InvalidGroup,
    TooManyGroups,
    VersionConflict,
)
from services.groups.domain.member import refusal
from services.groups.domain.model import Group, GroupType
from services.groups.service_layer import queries
from services.groups.service_layer.unit_of_work import GroupsUnitOfWork
from shared.auth import Principal
from shared.contracts.groups import MembershipReason

MAX_SAVE_ATTEMPTS = 20
# Ids per stored change: 10 events of 1,000 ids, so a group's outbox stays small.
QUERY_CHUNK = 10_000


async def load_visible(uow: GroupsUnitOfWork, by: Principal, group_id: str) -> Group:
    """A group the caller may see; any other answers not found, as if it did not exist."""
    group = await uow.groups.get(by.org_id, group_id)
    if group is None or not group.visible_to(by):
        raise GroupNotFound("group not found", id=group_id)
    return group


async def create_group(cmd: CreateGroup, uow: GroupsUnitOfWork) -> Group:
    if await uow.groups.count(cmd.by.org_id) >= uow.max_groups:
        raise TooManyGroups(
            f"an organisation has at most {uow.max_groups} groups", limit=uow.max_groups
        )
    query = None
    if cmd.query is not None:
        query = (await queries.smart_query(uow, cmd.by.org_id, cmd.query)).text
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


async def update_group(cmd: UpdateGroup, uow: GroupsUnitOfWork) -> Group:
    group = await load_visible(uow, cmd.by, cmd.group_id)
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
        changes["query"] = (await queries.smart_query(uow, group.org_id, changes["query"])).text
    read_version = group.version
    group.update(changes, uow.clock())
    if group.events:
        await uow.groups.save(group, read_version)
    return group


async def delete_group(cmd: DeleteGroup, uow: GroupsUnitOfWork) -> None:
    """Members leave with the group (the consumer of GroupDeleted); contacts stay."""
    group = await load_visible(uow, cmd.by, cmd.group_id)
    read_version = group.version
    group.delete(uow.clock())
    await uow.groups.save(group, read_version)


@dataclass
class MembershipOutcome:
    """Per id: changed, unchanged (already a member / not a member), or refused with a reason."""

    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)


async def change_members(cmd: ChangeMembers, uow: GroupsUnitOfWork) -> MembershipOutcome:
    group = await load_visible(uow, cmd.by, cmd.group_id)
    group.check_manual_membership()
    ids = list(dict.fromkeys(cmd.contact_ids))
    if len(ids) > MAX_IDS_PER_CALL:
        raise InvalidGroup(f"at most {MAX_IDS_PER_CALL} contact ids per call")
    contacts = await uow.contacts.get_many(cmd.by.org_id, ids)
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
    """Stores the change as the group's events; False if the group is gone."""
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
