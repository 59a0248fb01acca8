"""Contacts other services ask to add to groups (`AddContactToGroups`: the group an opt-in keyword
joins, a flow's groups) or to take out of them (`RemoveContactFromGroups`). The asker saw the
contact able to join at some version of it; this service's copy may not have caught up yet (the
contacts service's events and this command travel on different topics), so the join waits for
the copy to reach that version (`PendingJoin`) and is carried out by the copy's rules then: a
contact stopped or deleted since is refused, a gone or smart group is left out, a member already
changes nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from services.groups.domain.member import MemberContact, refusal
from services.groups.domain.pending_join import PendingJoin
from services.groups.service_layer.handlers import record_membership
from services.groups.service_layer.unit_of_work import GroupsUnitOfWork
from shared.contracts.group_commands import AddContactToGroups, RemoveContactFromGroups
from shared.logging import get_logger
from shared.messagebus import Received

log = get_logger(__name__)


async def add_contact_to_groups(
    command: Received[AddContactToGroups], uow: GroupsUnitOfWork
) -> None:
    cmd = command.payload
    join = PendingJoin(id=command.id, org_id=command.org_id, contact_id=cmd.contact_id,
                       group_ids=tuple(dict.fromkeys(cmd.group_ids)),
                       contact_version=cmd.contact_version, actor=cmd.actor,
                       requested_at=cmd.requested_at)  # fmt: skip
    contact = await uow.contacts.get(join.org_id, join.contact_id)
    if contact is None or not join.due(contact.version):
        await uow.pending_joins.add(join)
        # Another replica may have taken the awaited event meanwhile and found nothing
        # waiting: look again now that the join is stored.
        contact = await uow.contacts.get(join.org_id, join.contact_id)
        if contact is None or not join.due(contact.version):
            return
        await uow.pending_joins.remove([join.id])
    await _join(uow, join, contact)


async def remove_contact_from_groups(
    command: Received[RemoveContactFromGroups], uow: GroupsUnitOfWork
) -> None:
    """A flow's `remove_contact_groups`: out of the manual groups named (or all of them);
    smart groups follow their query. A contact not known here yet is in no group."""
    cmd, org_id = command.payload, command.org_id
    # A join asked before and still waiting for the copy must not undo this removal later.
    for join in await uow.pending_joins.for_contacts(org_id, [cmd.contact_id]):
        kept = () if cmd.all_groups else tuple(g for g in join.group_ids
                                               if g not in cmd.group_ids)  # fmt: skip
        if kept != join.group_ids:
            await uow.pending_joins.remove([join.id])
            if kept:
                await uow.pending_joins.add(replace(join, id=f"{join.id}:kept", group_ids=kept))
    contact = await uow.contacts.get(org_id, cmd.contact_id)
    if contact is None:
        return
    # Named groups are left whatever this copy says of them (an add a moment ago may not be in
    # it yet); a removal of a non-member changes nothing.
    group_ids = [*contact.groups, *cmd.group_ids] if cmd.all_groups else cmd.group_ids
    for group_id in dict.fromkeys(group_ids):
        group = await uow.groups.get(org_id, group_id)
        if group is not None and not group.is_smart:
            await record_membership(uow, org_id, group_id, False, [contact.id], "flow",
                                    cmd.actor)  # fmt: skip


async def join_waiting(uow: GroupsUnitOfWork, contacts: Sequence[MemberContact]) -> None:
    """After the copy took contacts' events: the joins that were waiting for them."""
    by_org: dict[str, dict[str, MemberContact]] = {}
    for contact in contacts:
        by_org.setdefault(contact.org_id, {})[contact.id] = contact
    for org_id, known in by_org.items():
        waiting = await uow.pending_joins.for_contacts(org_id, list(known))
        due = [j for j in waiting if j.due(known[j.contact_id].version)]
        for join in due:
            await _join(uow, join, known[join.contact_id])
        await uow.pending_joins.remove([j.id for j in due])


async def _join(uow: GroupsUnitOfWork, join: PendingJoin, contact: MemberContact) -> None:
    if (reason := refusal(contact)) is not None:
        log.info("join_refused", contact_id=contact.id, reason=reason, actor=join.actor)
        return
    for group_id in join.group_ids:
        group = await uow.groups.get(join.org_id, group_id)
        if group is None or group.is_smart:
            log.warning("join_group_unavailable", group_id=group_id, actor=join.actor,
                        reason="smart" if group else "unknown_group")  # fmt: skip
            continue
        if group_id not in contact.groups:
            await record_membership(uow, join.org_id, group_id, True, [contact.id], "flow",
                                    join.actor)  # fmt: skip
