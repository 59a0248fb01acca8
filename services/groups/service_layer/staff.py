"""Who may be a group's staff: staff of the organisation, as the accounts service says. The
groups service keeps its own copy of each organisation's members (from `roster.accounts`), and
waits for it to catch up before it refuses someone an admin added a moment ago."""

from __future__ import annotations

from services.groups.domain.errors import UnknownUser
from services.groups.service_layer.unit_of_work import GroupsUnitOfWork
from shared.catch_up import CatchUp
from shared.contracts.accounts import UserJoinedOrganization, UserLeftOrganization, UserRoleChanged
from shared.messagebus import Received


async def check_staff(
    uow: GroupsUnitOfWork, org_id: str, staff: list[str], catch_up: CatchUp
) -> None:
    wanted = sorted({s.strip() for s in staff if s.strip()})
    known = await uow.users.staff_of(org_id, wanted)
    if len(known) < len(wanted):

        async def arrived() -> bool:
            known.update(await uow.users.staff_of(org_id, wanted))
            return len(known) == len(wanted)

        await catch_up.until(arrived)
    unknown = [s for s in wanted if s not in known]
    if unknown:
        raise UnknownUser(
            "a group's staff are staff of the organisation: these are not", user_ids=unknown
        )


async def apply_user_membership(
    event: Received[UserJoinedOrganization | UserRoleChanged | UserLeftOrganization],
    uow: GroupsUnitOfWork,
) -> None:
    payload = event.payload
    role = None if isinstance(payload, UserLeftOrganization) else payload.role
    await uow.users.apply(event.org_id, payload.user_id, role, event.ordered_sequence)
