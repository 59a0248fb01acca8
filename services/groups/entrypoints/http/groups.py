"""Routes for groups and their members: thin, they translate HTTP to commands and back."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import JSONResponse

from services.groups.domain import commands
from services.groups.domain.errors import GroupNotFound
from services.groups.entrypoints.background import GroupsBackground
from services.groups.entrypoints.http.dependencies import get_background, get_uow
from services.groups.entrypoints.http.schemas import (
    GroupBody,
    GroupPatch,
    GroupView,
    MemberChangeView,
    MemberPage,
    MembersBody,
    MemberView,
)
from services.groups.service_layer import handlers, member_changes
from services.groups.service_layer.unit_of_work import GroupsUnitOfWork
from shared.auth import Principal, Role
from shared.http.cursor import decode_cursor, encode_cursor
from shared.http.security import authenticate, require_role

router = APIRouter(prefix="/v1/groups", tags=["groups"])

Caller = Annotated[Principal, Depends(authenticate)]
Uow = Annotated[GroupsUnitOfWork, Depends(get_uow)]
Background = Annotated[GroupsBackground, Depends(get_background)]
EDITORS = (Role.ADMIN, Role.MANAGER)


@router.post("", status_code=201, response_model=GroupView)
async def create_group(body: GroupBody, by: Caller, uow: Uow, background: Background) -> GroupView:
    require_role(by, EDITORS, "create groups")
    group = await handlers.create_group(
        commands.CreateGroup(
            by=by,
            name=body.name,
            description=body.description,
            query=body.query,
            blacklisted=body.blacklisted,
            staff=body.staff,
        ),
        uow,
    )
    if group.is_smart:
        background.evaluate(group.org_id, group.id)
    return GroupView.of(group)


@router.get("")
async def list_groups(
    by: Caller,
    uow: Uow,
    name: Annotated[str | None, Query(max_length=100, description="Part of the name")] = None,
    type: Literal["manual", "smart"] | None = None,
) -> dict[str, Any]:
    """Staff see only the groups assigned to them."""
    staff = by.subject if by.role is Role.STAFF else None
    groups = await uow.groups.find(by.org_id, name=name, type=type, staff=staff)
    return {"items": [GroupView.of(g) for g in groups], "count": len(groups)}


@router.get("/{group_id}", response_model=GroupView)
async def get_group(group_id: str, by: Caller, uow: Uow) -> GroupView:
    return GroupView.of(await handlers.load_visible(uow, by, group_id))


@router.patch("/{group_id}", response_model=GroupView)
async def update_group(
    group_id: str, body: GroupPatch, by: Caller, uow: Uow, background: Background
) -> GroupView:
    require_role(by, EDITORS, "change groups")
    group = await handlers.update_group(
        commands.UpdateGroup(
            by=by, group_id=group_id, changes=body.changes(), expected_version=body.version
        ),
        uow,
    )
    if group.is_smart:
        background.evaluate(group.org_id, group.id)
    return GroupView.of(group)


@router.delete("/{group_id}", status_code=204)
async def delete_group(group_id: str, by: Caller, uow: Uow) -> Response:
    require_role(by, EDITORS, "delete groups")
    await handlers.delete_group(commands.DeleteGroup(by=by, group_id=group_id), uow)
    return Response(status_code=204)


async def _change_members(
    group_id: str,
    body: MembersBody,
    by: Principal,
    uow: GroupsUnitOfWork,
    background: GroupsBackground,
    add: bool,
) -> Any:
    require_role(by, EDITORS, "change members")
    chosen = body.chosen()
    if isinstance(chosen, str):
        change = await member_changes.start_member_change(
            commands.ChangeMembersByQuery(by=by, group_id=group_id, add=add, query=chosen), uow
        )
        background.change_members(change.org_id, change.id)
        location = f"/v1/groups/{group_id}/member-changes/{change.id}"
        view = MemberChangeView.of(change).model_dump(mode="json")
        return JSONResponse(view, status_code=202, headers={"Location": location})
    outcome = await handlers.change_members(
        commands.ChangeMembers(by=by, group_id=group_id, add=add, contact_ids=chosen), uow
    )
    verb = "added" if add else "removed"
    unchanged = "already_member" if add else "not_member"
    return {
        verb: len(outcome.changed),
        "unchanged": len(outcome.unchanged),
        "refused": len(outcome.refused),
        "results": (
            [{"id": i, "status": verb} for i in outcome.changed]
            + [{"id": i, "status": unchanged} for i in outcome.unchanged]
            + [{"id": i, "status": "refused", "reason": r} for i, r in outcome.refused.items()]
        ),
    }


@router.post("/{group_id}/members", responses={202: {"model": MemberChangeView}})
async def add_members(
    group_id: str, body: MembersBody, by: Caller, uow: Uow, background: Background
) -> Any:
    """By ids: per id added, already_member, or refused with the reason (unknown_contact,
    contact_blocked, contact_stopped, contact_archived); everything valid is applied.
    By query: 202 and the change, followed at `Location` until `completed`."""
    return await _change_members(group_id, body, by, uow, background, add=True)


@router.delete("/{group_id}/members", responses={202: {"model": MemberChangeView}})
async def remove_members(
    group_id: str, body: MembersBody, by: Caller, uow: Uow, background: Background
) -> Any:
    return await _change_members(group_id, body, by, uow, background, add=False)


@router.get("/{group_id}/member-changes/{change_id}", response_model=MemberChangeView)
async def get_member_change(
    group_id: str, change_id: str, by: Caller, uow: Uow
) -> MemberChangeView:
    group = await handlers.load_visible(uow, by, group_id)
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
    group = await handlers.load_visible(uow, by, group_id)
    after = decode_cursor(cursor, "id")[1] if cursor else None
    members = await uow.contacts.members(by.org_id, group.id, after=after, limit=limit + 1)
    page, more = members[:limit], len(members) > limit
    next_cursor = encode_cursor("id", page[-1].id, page[-1].id) if more else None
    return MemberPage(items=[MemberView.of(c) for c in page], next_cursor=next_cursor)
