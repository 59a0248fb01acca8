"""Reading contacts by query: the organisation's context for the query language, and filters."""

from __future__ import annotations

from services.contacts.adapters.repository import ContactFilter
from services.contacts.service_layer.unit_of_work import ContactsUnitOfWork
from shared.contactql.predicates import Attribute
from shared.contactql.resolve import ContactQuery, QueryContext, parse_query

DEFAULT_STATUS = "active"


async def query_context(uow: ContactsUnitOfWork, org_id: str) -> QueryContext:
    org = await uow.organizations.get_or_create(org_id)
    # Group names arrive with the groups service's events (a later issue); until then no group
    # name resolves and `group = ...` answers `invalid_group`.
    return QueryContext(
        timezone=org.timezone,
        default_country=org.default_country,
        fields=await uow.fields.types(org_id),
    )


async def parse_contact_query(uow: ContactsUnitOfWork, org_id: str, text: str) -> ContactQuery:
    return parse_query(text, await query_context(uow, org_id))


def contact_filter(
    *,
    status: str | None,
    q: str | None = None,
    category: str | None = None,
    group: str | None = None,
    query: ContactQuery | None = None,
) -> ContactFilter:
    """`status` defaults to active, unless the query itself says which statuses it wants;
    "any" lifts the status filter."""
    if status is None:
        mentions_status = query is not None and Attribute.STATUS.value in query.attributes
        status = None if mentions_status else DEFAULT_STATUS
    elif status == "any":
        status = None
    return ContactFilter(
        status=status,
        q=q,
        category=category,
        group=group,
        query=query.predicate if query is not None else None,
    )
