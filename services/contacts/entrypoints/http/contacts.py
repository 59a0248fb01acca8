"""Routes for contacts: kept thin, they translate HTTP to commands and results back to JSON."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from pydantic import ValidationError

from services.contacts.domain import commands
from services.contacts.domain.errors import DomainError
from services.contacts.domain.listing import SORTS, ContactFilter
from services.contacts.domain.model import Contact
from services.contacts.entrypoints.http.dependencies import Uow
from services.contacts.entrypoints.http.schemas import (
    ActionBody,
    ActionOutcome,
    ActionResult,
    BatchCreateBody,
    BatchCreateResult,
    BatchEntryResult,
    ContactCount,
    ContactPage,
    ContactView,
    CreateContactBody,
    QueryParseBody,
    QueryParseView,
    StatusBody,
    UpdateContactBody,
)
from services.contacts.service_layer import queries
from services.contacts.service_layer.results import EntryResult
from services.contacts.service_layer.unit_of_work import ContactsUnitOfWork
from shared.auth import Principal, Role
from shared.catch_up import CatchUp
from shared.contactql.syntax import MAX_INPUT_LENGTH
from shared.http.cursor import decode_cursor, encode_cursor
from shared.http.dependencies import Bus, Caller, CatchUpDep
from shared.http.errors import ErrorDetail, error_view
from shared.http.security import require_role

router = APIRouter(prefix="/v1/contacts", tags=["contacts"])

CAN_DELETE = (Role.ADMIN, Role.MANAGER)


@router.post("", status_code=201, response_model=ContactView)
async def create_contact(body: CreateContactBody, by: Caller, bus: Bus) -> ContactView:
    contact = await bus.handle(commands.CreateContact(by=by, contact=body.contact_input()))
    return ContactView.of(contact)


@router.post("/batch", response_model=BatchCreateResult, response_model_exclude_unset=True)
async def create_contacts(body: BatchCreateBody, by: Caller, bus: Bus) -> BatchCreateResult:
    """Up to 1,000 entries, each validated on its own; the answer has one result per entry."""
    inputs: list[commands.ContactInput] = []
    shape_errors: dict[int, ErrorDetail] = {}
    for index, raw in enumerate(body.contacts):
        try:
            inputs.append(CreateContactBody.model_validate(raw).contact_input())
        except ValidationError as exc:
            problems = exc.errors(include_url=False, include_input=False, include_context=False)
            shape_errors[index] = ErrorDetail(
                code="validation_error",
                message="the entry is not valid",
                details={"problems": [dict(p) for p in problems]},
            )
            inputs.append(commands.ContactInput(phone=None, present=frozenset()))
    results: list[EntryResult] = await bus.handle(commands.CreateContacts(by=by, contacts=inputs))
    items: list[BatchEntryResult] = []
    for result in results:
        if result.index in shape_errors:
            error = shape_errors[result.index]
            items.append(BatchEntryResult(index=result.index, status="error", error=error))
        elif result.error is not None:
            error = ErrorDetail(**error_view(result.error))
            items.append(BatchEntryResult(index=result.index, status="error", error=error))
        else:
            assert result.contact is not None
            contact = ContactView.of(result.contact)
            items.append(BatchEntryResult(index=result.index, status="created", contact=contact))
    created = sum(1 for item in items if item.status == "created")
    return BatchCreateResult(created=created, failed=len(items) - created, results=items)


StatusParam = Literal["active", "archived", "blocked", "stopped", "any"]
QueryParam = Annotated[
    str | None,
    Query(
        max_length=MAX_INPUT_LENGTH,
        description='Contact query, e.g. age > 18 AND district = "Kano"',
    ),
]


async def _filter(
    uow: ContactsUnitOfWork,
    by: Principal,
    catch_up: CatchUp,
    *,
    status: StatusParam | None,
    query: str | None,
    q: str | None = None,
    category: str | None = None,
    group: str | None = None,
) -> ContactFilter:
    parsed = None
    if query:
        parsed = await queries.parse_contact_query(uow, by.org_id, query, catch_up)
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
    catch_up: CatchUpDep,
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
    flt = await _filter(
        uow, by, catch_up, status=status, query=query, q=q, category=category, group=group
    )
    contacts = await uow.contacts.list(by.org_id, flt, sort=sort, after=after, limit=limit + 1)
    page, more = contacts[:limit], len(contacts) > limit
    next_cursor = None
    if more:
        last = page[-1]
        field = SORTS[sort][0]
        value = (last.name or "").casefold() if field == "name_sort" else getattr(last, field)
        next_cursor = encode_cursor(sort, value, last.id)
    return ContactPage(items=[ContactView.of(c) for c in page], next_cursor=next_cursor)


@router.get("/count", response_model=ContactCount)
async def count_contacts(
    by: Caller,
    uow: Uow,
    catch_up: CatchUpDep,
    status: Annotated[StatusParam | None, Query(description="Default: active")] = None,
    query: QueryParam = None,
) -> ContactCount:
    flt = await _filter(uow, by, catch_up, status=status, query=query)
    return ContactCount(count=await uow.contacts.count(by.org_id, flt))


@router.post("/query/parse", response_model=QueryParseView)
async def parse_contact_query(
    body: QueryParseBody, by: Caller, uow: Uow, catch_up: CatchUpDep
) -> QueryParseView:
    """The normalized query, what it refers to, and whether a smart group may use it."""
    parsed = await queries.parse_contact_query(uow, by.org_id, body.query, catch_up)
    return QueryParseView(
        query=parsed.text,
        rapidpro_query=parsed.rapidpro_text,
        fields=list(parsed.fields),
        groups=list(parsed.groups),
        attributes=list(parsed.attributes),
        allowed_in_smart_group=parsed.allowed_in_smart_group,
    )


@router.get("/{contact_id}", response_model=ContactView)
async def get_contact(contact_id: str, by: Caller, uow: Uow) -> ContactView:
    return ContactView.of(await queries.load_visible(uow, by, contact_id))


@router.patch("/{contact_id}", response_model=ContactView)
async def update_contact(
    contact_id: str, body: UpdateContactBody, by: Caller, bus: Bus
) -> ContactView:
    contact = await bus.handle(
        commands.UpdateContact(
            by=by, contact_id=contact_id, changes=body.to_input(), expected_version=body.version
        )
    )
    return ContactView.of(contact)


@router.post("/{contact_id}/status", response_model=ContactView)
async def change_contact_status(
    contact_id: str, body: StatusBody, by: Caller, bus: Bus
) -> ContactView:
    contact = await bus.handle(
        commands.ChangeContactStatus(
            by=by, contact_id=contact_id, status=body.status, reason=body.reason
        )
    )
    return ContactView.of(contact)


@router.post("/actions", response_model=ActionOutcome, response_model_exclude_unset=True)
async def apply_contact_action(body: ActionBody, by: Caller, bus: Bus) -> ActionOutcome:
    if body.action == "delete":
        require_role(by, CAN_DELETE, "delete contacts")
    outcome: dict[str, DomainError | Contact | None] = await bus.handle(
        commands.ApplyContactAction(
            by=by, action=body.action, contact_ids=body.ids, reason=body.reason
        )
    )
    results: list[ActionResult] = []
    for contact_id, result in outcome.items():
        if result is None:
            results.append(ActionResult(id=contact_id, status="deleted"))
        elif isinstance(result, DomainError):
            error = ErrorDetail(**error_view(result))
            results.append(ActionResult(id=contact_id, status="error", error=error))
        else:
            status = result.status.value
            results.append(ActionResult(id=contact_id, status="ok", contact_status=status))
    succeeded = sum(1 for r in results if r.status != "error")
    return ActionOutcome(
        action=body.action, succeeded=succeeded, failed=len(results) - succeeded, results=results
    )


@router.delete("/{contact_id}", status_code=204)
async def delete_contact(contact_id: str, by: Caller, bus: Bus) -> Response:
    require_role(by, CAN_DELETE, "delete contacts")
    await bus.handle(commands.DeleteContact(by=by, contact_id=contact_id))
    return Response(status_code=204)


@router.post("/{contact_id}/anonymize", response_model=ContactView)
async def anonymize_contact(contact_id: str, by: Caller, bus: Bus) -> ContactView:
    require_role(by, CAN_DELETE, "anonymize contacts")
    contact = await bus.handle(commands.AnonymizeContact(by=by, contact_id=contact_id))
    return ContactView.of(contact)
