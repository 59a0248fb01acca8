"""The groups side of a file import: just imported contacts into groups named in the file.

Groups are found by name (ignoring case) and created as manual groups when missing. The
contacts may be younger than this service's projection of them (their ContactCreated can
arrive after this command, even after the membership events it records): where those events
are applied, a contact not seen yet is entered as a placeholder, active as the contacts service
reported it, and its own events fill it in; a later status change takes it out again.
Contacts the contacts service created in their groups already (`ImportedMember.entered`) are
recorded as members all the same: counts and `GroupMembershipChanged` follow every membership.
"""

from __future__ import annotations

from collections import defaultdict

from services.groups.domain.commands import CreateGroup
from services.groups.domain.errors import DomainError, DuplicateGroupName
from services.groups.domain.model import Group
from services.groups.service_layer.handlers import new_group, record_membership
from services.groups.service_layer.ports import ImportReplies
from services.groups.service_layer.unit_of_work import GroupsUnitOfWork
from shared.auth import Principal, Role
from shared.contracts.imports import GroupMembersImported, ImportGroupMembers, MemberRefusal
from shared.messagebus import Received

ACTOR = "system:importer"


async def import_group_members(
    command: Received[ImportGroupMembers], uow: GroupsUnitOfWork, replies: ImportReplies
) -> None:
    """Adds the batch's contacts to their groups and answers with the refusals."""
    reply = await add_members(command.payload, command.org_id, uow)
    await replies.answer(reply, command.org_id)


async def add_members(
    cmd: ImportGroupMembers, org_id: str, uow: GroupsUnitOfWork
) -> GroupMembersImported:
    wanted: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for member in cmd.members:
        for name in member.groups:
            wanted[name].append((member.row, member.contact_id))
    used: dict[str, str] = {}
    refused: list[MemberRefusal] = []
    joining: dict[str, list[str]] = defaultdict(list)
    for name, members in wanted.items():
        try:
            group = await _group_named(uow, org_id, name)
        except DomainError as exc:
            refused.extend(
                MemberRefusal(row=r, contact_id=c, group=name, code=exc.code, message=exc.message)
                for r, c in members
            )
            continue
        if group.is_smart:
            refused.extend(
                MemberRefusal(
                    row=r,
                    contact_id=c,
                    group=name,
                    code="smart_group_membership",
                    message="a smart group's members follow its query",
                )
                for r, c in members
            )
            continue
        used[name] = group.id
        joining[group.id].extend(c for _, c in members)
    await _add_entered(cmd, org_id, uow, joining)
    for group_id, ids in joining.items():
        if not await record_membership(uow, org_id, group_id, True, ids, "import", ACTOR):
            await uow.contacts.remove_group(org_id, group_id)  # deleted meanwhile
    return GroupMembersImported(
        import_id=cmd.import_id, batch=cmd.batch, groups=used, refused=refused
    )


async def _add_entered(
    cmd: ImportGroupMembers,
    org_id: str,
    uow: GroupsUnitOfWork,
    joining: dict[str, list[str]],
) -> None:
    """The groups the contacts service created the contacts in (by the names it knew) are
    their groups too, for each that is still a manual group: both services then agree, even
    when a name found another group here (renamed meanwhile)."""
    manual: dict[str, bool] = {}
    for member in cmd.members:
        for group_id in member.entered:
            if group_id not in manual:
                group = await uow.groups.get(org_id, group_id)
                manual[group_id] = group is not None and not group.is_smart
            if manual[group_id]:  # listed twice at most: each id is recorded once
                joining[group_id].append(member.contact_id)


async def _group_named(uow: GroupsUnitOfWork, org_id: str, name: str) -> Group:
    group = await uow.groups.by_name(org_id, name)
    if group is not None:
        return group
    by = Principal(org_id=org_id, role=Role.ADMIN, subject=ACTOR)
    try:
        return await new_group(CreateGroup(by=by, name=name), uow)
    except DuplicateGroupName:  # created meanwhile (a concurrent batch)
        group = await uow.groups.by_name(org_id, name)
        if group is None:
            raise
        return group
