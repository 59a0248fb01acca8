"""Routes for contacts: kept thin, they translate HTTP to commands and results back to JSON."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import ValidationError

from services.contacts.adapters.repository import SORTS, ContactFilter
from services.contacts.domain import commands
from services.contacts.entrypoints.http.dependencies import get_uow
from services.contacts.entrypoints.http.schemas import (
    ActionBody,
    BatchCreateBody,
    ContactPage,
    ContactView,
    CreateContactBody,
    QueryParseBody,
    QueryParseView,
    StatusBody,
    UpdateContactBody,
)
from services.contacts.service_layer import handlers, queries
from services.contacts.service_layer.unit_of_work import ContactsUnitOfWork
from shared.auth import Principal, Role
from shared.http.cursor import decode_cursor, encode_cursor
from shared.http.errors import error_view
from shared.http.security import authenticate, require_role

router = APIRouter(prefix="/v1/contacts", tags=["contacts"])

Caller = Annotated[Principal, Depends(authenticate)]
Uow = Annotated[ContactsUnitOfWork, Depends(get_uow)]
CAN_DELETE = (Role.ADMIN, Role.MANAGER)


@router.post("", status_code=201, response_model=ContactView)
async def create_contact(body: CreateContactBody, by: Caller, uow: Uow) -> ContactView:
    contact = await handlers.create_contact(
        commands.CreateContact(by=by, contact=body.contact_input()), uow
    )
    return ContactView.of(contact)


@router.post("/batch")
async def create_contacts(body: BatchCreateBody, by: Caller, uow: Uow) -> dict[str, Any]:
    """Up to 1,000 entries, each validated on its own; the answer has one result per entry."""
    inputs: list[commands.ContactInput] = []
    shape_errors: dict[int, dict[str, Any]] = {}
    for index, raw in enumerate(body.contacts):
        try:
            inputs.append(CreateContactBody.model_validate(raw).contact_input())
        except ValidationError as exc:
            shape_errors[index] = {
                "code": "validation_error",
                "message": "the entry is not valid",
                "details": {"problems": exc.errors(include_url=False, include_input=False)},
            }
            inputs.append(commands.ContactInput(phone=None, present=frozenset()))
    results = await handlers.create_contacts(commands.CreateContacts(by=by, contacts=inputs), uow)
    items: list[dict[str, Any]] = []
    for result in results:
        if result.index in shape_errors:
            items.append(
                {"index": result.index, "status": "error", "error": shape_errors[result.index]}
            )
        elif result.error is not None:
            items.append(
                {"index": result.index, "status": "error", "error": error_view(result.error)}
            )
        else:
            assert result.contact is not None
            items.append(
                {
                    "index": result.index,
                    "status": "created",
                    "contact": ContactView.of(result.contact).model_dump(mode="json"),
                }
            )
    created = sum(1 for item in items if item["status"] == "created")
    return {"created": created, "failed": len(items) - created, "results": items}


StatusParam = Literal["active", "archived", "blocked", "stopped", "any"]
QueryParam = Annotated[
    str | None,
    Query(max_length=5000, description='Contact query, e.g. age > 18 AND district = "Kano"'),
]


async def _filter(
    uow: ContactsUnitOfWork,
    by: Principal,
    *,
    status: StatusParam | None,
    query: str | None,
    q: str | None = None,
    category: str | None = None,
    group: str | None = None,
) -> ContactFilter:
    parsed = await queries.parse_contact_query(uow, by.org_id, query) if query else None
    return queries.contact_filter(
        status=status,
        q=q,
        category=category,
        group=group,
        query=parsed,
        within_groups=await queries.visible_groups(uow, by),
    )


@router.get("", response_model=ContactPage)
async def list_contacts(
    by: Caller,
    uow: Uow,
    status: Annotated[StatusParam | None, Query(description="Default: active")] = None,
    query: QueryParam = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    category: str | None = None,
    group: str | None = None,
    sort: Literal[tuple(SORTS)] = "-created_at",  # type: ignore[valid-type]
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> ContactPage:
    after = decode_cursor(cursor, sort) if cursor else None
    flt = await _filter(uow, by, status=status, query=query, q=q, category=category, group=group)
    contacts = await uow.contacts.list(by.org_id, flt, sort=sort, after=after, limit=limit + 1)
    page, more = contacts[:limit], len(contacts) > limit
    next_cursor = None
    if more:
        last = page[-1]
        field = SORTS[sort][0]
        value = (last.name or "").casefold() if field == "name_sort" else getattr(last, field)
        next_cursor = encode_cursor(sort, value, last.id)
    return ContactPage(items=[ContactView.of(c) for c in page], next_cursor=next_cursor)


@router.get("/count")
async def count_contacts(
    by: Caller,
    uow: Uow,
    status: Annotated[StatusParam | None, Query(description="Default: active")] = None,
    query: QueryParam = None,
) -> dict[str, int]:
    flt = await _filter(uow, by, status=status, query=query)
    return {"count": await uow.contacts.count(by.org_id, flt)}


@router.post("/query/parse", response_model=QueryParseView)
async def parse_query(body: QueryParseBody, by: Caller, uow: Uow) -> QueryParseView:
    """The normalized query, what it refers to, and whether a smart group may use it."""
    parsed = await queries.parse_contact_query(uow, by.org_id, body.query)
    return QueryParseView(
        query=parsed.text,
        fields=list(parsed.fields),
        groups=list(parsed.groups),
        attributes=list(parsed.attributes),
        allowed_in_smart_group=parsed.allowed_in_smart_group,
    )


@router.get("/{contact_id}", response_model=ContactView)
async def get_contact(contact_id: str, by: Caller, uow: Uow) -> ContactView:
    return ContactView.of(await handlers.load_visible(uow, by, contact_id))


@router.patch("/{contact_id}", response_model=ContactView)
async def update_contact(
    contact_id: str, body: UpdateContactBody, by: Caller, uow: Uow
) -> ContactView:
    contact = await handlers.update_contact(
        commands.UpdateContact(
            by=by, contact_id=contact_id, changes=body.to_input(), expected_version=body.version
        ),
        uow,
    )
    return ContactView.of(contact)


@router.post("/{contact_id}/status", response_model=ContactView)
async def change_status(contact_id: str, body: StatusBody, by: Caller, uow: Uow) -> ContactView:
    contact = await handlers.change_contact_status(
        commands.ChangeContactStatus(
            by=by, contact_id=contact_id, status=body.status, reason=body.reason
        ),
        uow,
    )
    return ContactView.of(contact)


@router.post("/actions")
async def apply_action(body: ActionBody, by: Caller, uow: Uow) -> dict[str, Any]:
    if body.action == "delete":
        require_role(by, CAN_DELETE, "delete contacts")
    outcome = await handlers.apply_contact_action(
        commands.ApplyContactAction(
            by=by, action=body.action, contact_ids=body.ids, reason=body.reason
        ),
        uow,
    )
    results: list[dict[str, Any]] = []
    for contact_id, result in outcome.items():
        if result is None:
            results.append({"id": contact_id, "status": "deleted"})
        elif isinstance(result, Exception):
            results.append({"id": contact_id, "status": "error", "error": error_view(result)})
        else:
            results.append(
                {"id": contact_id, "status": "ok", "contact_status": result.status.value}
            )
    succeeded = sum(1 for r in results if r["status"] != "error")
    return {
        "action": body.action,
        "succeeded": succeeded,
        "failed": len(results) - succeeded,
        "results": results,
    }


@router.delete("/{contact_id}", status_code=204)
async def delete_contact(contact_id: str, by: Caller, uow: Uow) -> Response:
    require_role(by, CAN_DELETE, "delete contacts")
    await handlers.delete_contact(commands.DeleteContact(by=by, contact_id=contact_id), uow)
    return Response(status_code=204)


@router.post("/{contact_id}/anonymize", response_model=ContactView)
async def anonymize_contact(contact_id: str, by: Caller, uow: Uow) -> ContactView:
    require_role(by, CAN_DELETE, "anonymize contacts")
    contact = await handlers.anonymize_contact(
        commands.AnonymizeContact(by=by, contact_id=contact_id), uow
    )
    return ContactView.of(contact)
