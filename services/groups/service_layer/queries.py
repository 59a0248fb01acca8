"""Reading contactql queries against what the groups service knows of an organisation."""

from __future__ import annotations

from services.groups.domain.errors import InvalidSmartQuery
from services.groups.service_layer.unit_of_work import GroupsUnitOfWork
from shared.contactql.resolve import ContactQuery, QueryContext, parse_query


async def query_context(uow: GroupsUnitOfWork, org_id: str) -> QueryContext:
    settings = await uow.organizations.get(org_id)
    groups = await uow.groups.find(org_id)
    names = {g.name.casefold(): g.id for g in groups} | {g.id: g.id for g in groups}
    return QueryContext(
        timezone=settings.timezone,
        default_country=settings.default_country,
        fields=settings.fields,
        groups=names,
    )


async def parse(uow: GroupsUnitOfWork, org_id: str, text: str) -> ContactQuery:
    return parse_query(text, await query_context(uow, org_id))


async def smart_query(uow: GroupsUnitOfWork, org_id: str, text: str) -> ContactQuery:
    """A smart group's query: valid, and free of id, group and status."""
    query = await parse(uow, org_id, text)
    if not query.allowed_in_smart_group:
        raise InvalidSmartQuery(
            "a smart group's query cannot use id, group or status",
            query=query.text,
            attributes=list(query.attributes),
        )
    return query
