"""Members by query: the change is recorded at once (so the caller gets an id to follow) and
run in the background, a stretch of contacts at a time.

Each stretch is recorded as the group's membership events first and counted on the change
after, so a crash between the two repeats that stretch: its events are sent again (which
changes nothing where they were applied) and nothing is lost.
"""

from __future__ import annotations

from typing import Any

from services.groups.domain.commands import ChangeMembersByQuery, RunMemberChange
from services.groups.domain.member_change import MemberChange
from services.groups.service_layer import queries
from services.groups.service_layer.handlers import QUERY_CHUNK, record_membership
from services.groups.service_layer.ports import BackgroundWork
from services.groups.service_layer.unit_of_work import GroupsUnitOfWork
from shared.catch_up import CatchUp
from shared.errors import DomainError

GROUP_GONE = {"code": "not_found", "message": "the group was deleted during the change"}


async def start_member_change(
    cmd: ChangeMembersByQuery, uow: GroupsUnitOfWork, background: BackgroundWork, catch_up: CatchUp
) -> MemberChange:
    """Refuses at once what can be known at once: an unseen group, a smart group, a bad query;
    the change itself runs in the background."""
    group = await queries.load_visible(uow, cmd.by, cmd.group_id)
    group.check_manual_membership()
    query = await queries.parse(uow, group.org_id, cmd.query, catch_up)
    change = MemberChange(
        id=uow.new_id(),
        org_id=group.org_id,
        group_id=group.id,
        add=cmd.add,
        query=query.text,
        actor=cmd.by.actor,
        created_at=uow.clock(),
    )
    await uow.member_changes.add(change)
    background.change_members(change.org_id, change.id)
    return change


async def run_member_change(cmd: RunMemberChange, uow: GroupsUnitOfWork) -> bool:
    """Carries the change on from where it stopped, to the end. Always finishes it: True."""
    change = await uow.member_changes.get(cmd.org_id, cmd.change_id)
    if change is None or change.finished:
        return True
    try:
        query = await queries.parse(uow, change.org_id, change.query)
    except DomainError as exc:  # a field it uses was deleted since, say
        error = {"code": exc.code, "message": exc.message, "details": exc.details}
        return await _finish(uow, change, error)
    matched = 0
    pending: list[str] = []
    async for page in uow.contacts.pages(
        change.org_id, predicate=query.predicate, after=change.after
    ):
        for contact in page:
            matched += 1
            if change.add and not contact.can_be_member:
                continue
            if (change.group_id in contact.groups) != change.add:
                pending.append(contact.id)
        if matched >= QUERY_CHUNK:
            if not await _record(uow, change, pending):
                return await _finish(uow, change, GROUP_GONE)
            change.progress(matched, len(pending), after=page[-1].id)
            await uow.member_changes.save(change)
            matched, pending = 0, []
    if not await _record(uow, change, pending):
        return await _finish(uow, change, GROUP_GONE)
    change.progress(matched, len(pending), after=change.after)
    return await _finish(uow, change, None)


async def _record(uow: GroupsUnitOfWork, change: MemberChange, ids: list[str]) -> bool:
    return await record_membership(
        uow, change.org_id, change.group_id, change.add, ids, "query", change.actor
    )


async def _finish(
    uow: GroupsUnitOfWork, change: MemberChange, error: dict[str, Any] | None
) -> bool:
    if error is None:
        change.complete(uow.clock())
    else:
        change.fail(error, uow.clock())
    await uow.member_changes.save(change)
    return True
