"""Reads (no message goes through the bus for them): a group as the caller may see it, and
contactql queries read against what the groups service knows of an organisation."""

from __future__ import annotations

from services.groups.domain.errors import GroupNotFound, InvalidSmartQuery
from services.groups.domain.model import Group
from services.groups.service_layer.unit_of_work import GroupsUnitOfWork
from shared.auth import Principal
from shared.catch_up import ASK_ONCE, CatchUp
from shared.contactql.resolve import (
    UNKNOWN_FIELD,
    ContactQuery,
    QueryContext,
    parse_when_known,
)


async def load_visible(uow: GroupsUnitOfWork, by: Principal, group_id: str) -> Group:
    """A group the caller may see; any other answers not found, as if it did not exist."""
    group = await uow.groups.get(by.org_id, group_id)
    if group is None or not group.visible_to(by):
        raise GroupNotFound("group not found", id=group_id)
    return group


async def query_context(uow: GroupsUnitOfWork, org_id: str) -> QueryContext:
    settings = await uow.organizations.get(org_id)
    groups = await uow.groups.find(org_id)
    names = {g.name.casefold(): g.id for g in groups} | {g.id: g.id for g in groups}
    return settings.query_context(names)


async def parse(
    uow: GroupsUnitOfWork, org_id: str, text: str, catch_up: CatchUp = ASK_ONCE
) -> ContactQuery:
    """A field the query names that was defined a moment ago is waited for (`catch_up`)."""
    return await parse_when_known(
        text, lambda: query_context(uow, org_id), catch_up, (UNKNOWN_FIELD,)
    )


async def smart_query(
    uow: GroupsUnitOfWork, org_id: str, text: str, catch_up: CatchUp = ASK_ONCE
) -> ContactQuery:
    """A smart group's query: valid, and free of id, group and status."""
    query = await parse(uow, org_id, text, catch_up)
    if not query.allowed_in_smart_group:
        raise InvalidSmartQuery(
            "a smart group's query cannot use id, group or status",
            query=query.text,
            attributes=list(query.attributes),
        )
    return query
