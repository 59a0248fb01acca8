"""Computing a smart group's members from scratch, after it was created or its query changed."""

from __future__ import annotations

from services.groups.domain.commands import EvaluateSmartGroup
from services.groups.domain.model import SmartStatus
from services.groups.service_layer import queries
from services.groups.service_layer.handlers import QUERY_CHUNK, record_membership
from services.groups.service_layer.membership_handlers import SYSTEM_ACTOR
from services.groups.service_layer.unit_of_work import GroupsUnitOfWork
from shared.contactql.evaluate import matches
from shared.errors import DomainError


async def evaluate_smart_group(cmd: EvaluateSmartGroup, uow: GroupsUnitOfWork) -> bool:
    """Adds the matching active contacts that are not members and removes members that no
    longer match, then marks the group ready. Returns False if the query changed meanwhile
    (another run is needed)."""
    group = await uow.groups.get(cmd.org_id, cmd.group_id)
    if group is None or not group.is_smart or group.query is None:
        return True
    if group.smart_status is not SmartStatus.EVALUATING:
        return True
    try:
        query = await queries.smart_query(uow, group.org_id, group.query)
    except DomainError as exc:  # a field it uses was deleted, say
        error = {"code": exc.code, "message": exc.message, "details": exc.details}
        await uow.groups.set_smart_status(group.id, group.query, SmartStatus.INVALID, error)
        return True

    async def record(add: bool, ids: list[str]) -> None:
        await record_membership(uow, group.org_id, group.id, add, ids, "smart_group", SYSTEM_ACTOR)

    joining: list[str] = []
    async for page in uow.contacts.pages(group.org_id, predicate=query.predicate):
        joining.extend(c.id for c in page if c.can_be_member and group.id not in c.groups)
        if len(joining) >= QUERY_CHUNK:
            await record(True, joining)
            joining = []
    await record(True, joining)
    leaving: list[str] = []
    async for page in uow.contacts.pages(group.org_id, group_id=group.id):
        leaving.extend(c.id for c in page if not (c.can_be_member and matches(query.predicate, c)))
        if len(leaving) >= QUERY_CHUNK:
            await record(False, leaving)
            leaving = []
    await record(False, leaving)
    return await uow.groups.set_smart_status(group.id, group.query, SmartStatus.READY, None)
