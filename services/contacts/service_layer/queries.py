"""Reads (no message goes through the bus for them): a contact as the caller may see it, the
organisation's context for the query language, and list filters."""

from __future__ import annotations

from services.contacts.domain.errors import ContactNotFound
from services.contacts.domain.groups import GroupEntry
from services.contacts.domain.listing import ContactFilter
from services.contacts.domain.model import Contact
from services.contacts.domain.organization import Organization
from services.contacts.service_layer.unit_of_work import ContactsUnitOfWork
from shared.auth import Principal, Role
from shared.catch_up import ASK_ONCE, CatchUp
from shared.contactql.errors import QueryError
from shared.contactql.predicates import Attribute
from shared.contactql.resolve import (
    UNKNOWN_GROUP,
    ContactQuery,
    QueryContext,
    parse_query,
    parse_when_known,
)

DEFAULT_STATUS = "active"


async def query_context(uow: ContactsUnitOfWork, org_id: str) -> QueryContext:
    org = await uow.organizations.get(org_id)
    return QueryContext(
        timezone=org.timezone,
        default_country=org.default_country,
        fields=await uow.fields.types(org_id),
        groups=await uow.groups.names(org_id),
    )


async def visible_groups(uow: ContactsUnitOfWork, by: Principal) -> tuple[str, ...] | None:
    """Restricted staff see only contacts in the groups assigned to them; None: no limit."""
    if by.role is not Role.STAFF:
        return None
    return tuple(await uow.groups.assigned_to(by.org_id, by.subject))


def is_visible(contact: Contact, groups: tuple[str, ...] | None) -> bool:
    return groups is None or any(g in groups for g in contact.groups)


async def load_visible(uow: ContactsUnitOfWork, by: Principal, contact_id: str) -> Contact:
    """A contact the caller may see; any other answers not found, as if it did not exist."""
    contact = await uow.contacts.get(by.org_id, contact_id)
    if contact is None or not is_visible(contact, await visible_groups(uow, by)):
        raise ContactNotFound("contact not found", id=contact_id)
    return contact


async def organization(uow: ContactsUnitOfWork, org_id: str) -> Organization:
    return await uow.organizations.get(org_id)


async def parse_contact_query(
    uow: ContactsUnitOfWork, org_id: str, text: str, catch_up: CatchUp = ASK_ONCE
) -> ContactQuery:
    """A group the query names that was created a moment ago is waited for (`catch_up`)."""
    return await parse_when_known(
        text, lambda: query_context(uow, org_id), catch_up, (UNKNOWN_GROUP,)
    )


def contact_filter(
    *,
    status: str | None,
    q: str | None = None,
    category: str | None = None,
    group: str | None = None,
    query: ContactQuery | None = None,
    within_groups: tuple[str, ...] | None = None,
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
        within_groups=within_groups,
    )


async def smart_groups_using(uow: ContactsUnitOfWork, org_id: str, key: str) -> list[GroupEntry]:
    """The smart groups whose query reads this field ("where used")."""
    entries = [e for e in await uow.groups.entries(org_id) if e.type == "smart" and e.query]
    if not entries:
        return []
    context = await query_context(uow, org_id)
    using = []
    for entry in entries:
        assert entry.query is not None
        try:
            fields = parse_query(entry.query, context).fields
        except QueryError:
            continue  # a query that no longer reads is not evaluated by anyone
        if key in fields:
            using.append(entry)
    return using
