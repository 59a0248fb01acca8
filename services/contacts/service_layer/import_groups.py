"""The groups an import creates its new contacts in.

A new, active contact is created in the manual groups its row names that this service's
directory of groups knows (`contact.groups`, announced in its `ContactCreated` and in the row's
outcome): adding it to them afterwards would cost a second write of every new contact, in this
service and in the groups service. The groups service still records each membership (the
importer sends it every created contact with its group names and the ids entered), so counts
and `GroupMembershipChanged` are as for any other membership. A group deleted meanwhile is taken
out again (`enter_groups`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from services.contacts.domain.model import Contact, ContactStatus
from services.contacts.service_layer.unit_of_work import ContactsUnitOfWork
from shared.contracts.groups import group_name_key


async def manual_groups_named(
    org_id: str, names: Collection[str], uow: ContactsUnitOfWork
) -> dict[str, str]:
    """The names given that find a live manual group of the organisation (as the groups
    service finds them: `group_name_key`), each to its group's id."""
    if not names:
        return {}
    entries = await uow.groups.entries(org_id)
    by_key = {group_name_key(e.name): e.id for e in entries if e.type == "manual"}
    return {name: by_key[key] for name in names if (key := group_name_key(name)) in by_key}


def groups_entered(
    names: Sequence[str], status: ContactStatus, manual: Mapping[str, str]
) -> list[str]:
    """The known manual groups a new contact joins as it is created: only an active contact
    may be a member (the importer asks the groups service for the others' groups too)."""
    if status is not ContactStatus.ACTIVE:
        return []
    return list(dict.fromkeys(manual[name] for name in names if name in manual))


async def enter_groups(org_id: str, created: Sequence[Contact], uow: ContactsUnitOfWork) -> None:
    """Lists the new contacts (and those of a redelivered batch) among their groups' members,
    then takes out any group deleted meanwhile. The directory marks a group deleted before it
    takes the group out of every contact, so either this check sees the deletion or that
    removal comes after the contacts were stored: no deleted group is left behind."""
    entered = [c for c in created if c.groups]
    if not entered:
        return
    await uow.imports.enter_groups(entered)
    for group_id in dict.fromkeys(g for c in entered for g in c.groups):
        if await uow.groups.is_deleted(group_id):
            await uow.memberships.remove_group(org_id, group_id)
            for contact in entered:
                contact.leave_group_created_in(group_id)
