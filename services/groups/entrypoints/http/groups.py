"""Routes for groups and their members: thin, they translate HTTP to commands and back."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse

from services.groups.domain import commands
from services.groups.domain.errors import GroupNotFound
from services.groups.domain.member_change import MemberChange
from services.groups.entrypoints.http.dependencies import Uow
from services.groups.entrypoints.http.schemas import (
    GroupBody,
    GroupList,
    GroupPatch,
    GroupView,
    MemberChangeView,
    MemberPage,
    MemberResult,
    MembersAdded,
    MembersBody,
    MembersRemoved,
    MemberView,
)
from services.groups.service_layer import queries
from services.groups.service_layer.results import MembershipOutcome
from shared.auth import Principal, Role
from shared.http.cursor import decode_cursor, encode_cursor
from shared.http.dependencies import Bus, Caller
from shared.http.security import require_role

router = APIRouter(prefix="/v1/groups", tags=["groups"])

EDITORS = (Role.ADMIN, Role.MANAGER)


@router.post("", status_code=201, response_model=GroupView)
async def create_group(body: GroupBody, by: Caller, bus: Bus) -> GroupView:
    require_role(by, EDITORS, "create groups")
    group = await bus.handle(
        commands.CreateGroup(
            by=by,
            name=body.name,
            description=body.description,
            query=body.query,
            blacklisted=body.blacklisted,
            staff=body.staff,
        )
    )
    return GroupView.of(group)


@router.get("", response_model=GroupList)
async def list_groups(
    by: Caller,
    uow: Uow,
    name: Annotated[str | None, Query(max_length=100, description="Part of the name")] = None,
    type: Literal["manual", "smart"] | None = None,
) -> GroupList:
    """Staff see only the groups assigned to them."""
    staff = by.subject if by.role is Role.STAFF else None
    groups = await uow.groups.find(by.org_id, name=name, type=type, staff=staff)
    return GroupList(items=[GroupView.of(g) for g in groups], count=len(groups))


@router.get("/{group_id}", response_model=GroupView)
async def get_group(group_id: str, by: Caller, uow: Uow) -> GroupView:
    return GroupView.of(await queries.load_visible(uow, by, group_id))


@router.patch("/{group_id}", response_model=GroupView)
async def update_group(group_id: str, body: GroupPatch, by: Caller, bus: Bus) -> GroupView:
    require_role(by, EDITORS, "change groups")
    group = await bus.handle(
        commands.UpdateGroup(
            by=by, group_id=group_id, changes=body.changes(), expected_version=body.version
        )
    )
    return GroupView.of(group)


@router.delete("/{group_id}", status_code=204)
async def delete_group(group_id: str, by: Caller, bus: Bus) -> Response:
    require_role(by, EDITORS, "delete groups")
    await bus.handle(commands.DeleteGroup(by=by, group_id=group_id))
    return Response(status_code=204)


async def _change_members(
    group_id: str, body: MembersBody, by: Principal, bus: Bus, add: bool
) -> Any:
    require_role(by, EDITORS, "change members")
    chosen = body.chosen()
    if isinstance(chosen, str):
        change: MemberChange = await bus.handle(
            commands.ChangeMembersByQuery(by=by, group_id=group_id, add=add, query=chosen)
        )
        location = f"/v1/groups/{group_id}/member-changes/{change.id}"
        view = MemberChangeView.of(change).model_dump(mode="json")
        return JSONResponse(view, status_code=202, headers={"Location": location})
    outcome: MembershipOutcome = await bus.handle(
        commands.ChangeMembers(by=by, group_id=group_id, add=add, contact_ids=chosen)
    )
    changed, unchanged = ("added", "already_member") if add else ("removed", "not_member")
    results = (
        [MemberResult(id=i, status=changed) for i in outcome.changed]
        + [MemberResult(id=i, status=unchanged) for i in outcome.unchanged]
        + [MemberResult(id=i, status="refused", reason=r) for i, r in outcome.refused.items()]
    )
    counts = {"unchanged": len(outcome.unchanged), "refused": len(outcome.refused)}
    if add:
        return MembersAdded(added=len(outcome.changed), results=results, **counts)
    return MembersRemoved(removed=len(outcome.changed), results=results, **counts)


BY_QUERY = {202: {"model": MemberChangeView, "description": "By query: the change to follow"}}


@router.post(
    "/{group_id}/members",
    response_model=MembersAdded,
    response_model_exclude_none=True,
    responses=BY_QUERY,  # type: ignore[arg-type]
)
async def add_members(group_id: str, body: MembersBody, by: Caller, bus: Bus) -> Any:
    """By ids: per id added, already_member, or refused with the reason (unknown_contact,
    contact_blocked, contact_stopped, contact_archived); everything valid is applied.
    By query: 202 and the change, followed at `Location` until `completed`."""
    return await _change_members(group_id, body, by, bus, add=True)


@router.delete(
    "/{group_id}/members",
    response_model=MembersRemoved,
    response_model_exclude_none=True,
    responses=BY_QUERY,  # type: ignore[arg-type]
)
async def remove_members(group_id: str, body: MembersBody, by: Caller, bus: Bus) -> Any:
    return await _change_members(group_id, body, by, bus, add=False)


@router.get("/{group_id}/member-changes/{change_id}", response_model=MemberChangeView)
async def get_member_change(
    group_id: str, change_id: str, by: Caller, uow: Uow
) -> MemberChangeView:
    group = await queries.load_visible(uow, by, group_id)
    change = await uow.member_changes.get(group.org_id, change_id)
    if change is None or change.group_id != group.id:
        raise GroupNotFound("member change not found", id=change_id)
    return MemberChangeView.of(change)


@router.get("/{group_id}/members", response_model=MemberPage)
async def list_members(
    group_id: str,
    by: Caller,
    uow: Uow,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> MemberPage:
    group = await queries.load_visible(uow, by, group_id)
    after = decode_cursor(cursor, "id")[1] if cursor else None
    members = await uow.contacts.members(by.org_id, group.id, after=after, limit=limit + 1)
    page, more = members[:limit], len(members) > limit
    next_cursor = encode_cursor("id", page[-1].id, page[-1].id) if more else None
    return MemberPage(items=[MemberView.of(c) for c in page], next_cursor=next_cursor)
