"""An organisation's members (admins manage them; managers see them), and taking up an
invitation (served without a token: it is how an invited person gets a password)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from services.accounts.domain.commands import (
    AcceptInvitation,
    AddMember,
    ChangeMemberRole,
    RemoveMember,
)
from services.accounts.domain.model import User
from services.accounts.entrypoints.http.schemas import (
    AcceptInvitationRequest,
    AddedMemberView,
    AddMemberRequest,
    ChangeRoleRequest,
    MemberList,
    MemberView,
)
from services.accounts.service_layer import queries
from services.accounts.service_layer.results import AddedMember
from shared.auth import Role
from shared.http.dependencies import Bus, Caller
from shared.http.security import require_role

router = APIRouter(tags=["users"])


def _view(user: User, org_id: str) -> MemberView:
    role = user.roles.get(org_id)
    return MemberView(
        id=user.id,
        email=user.email,
        name=user.name,
        role=role.value if role else None,
        status=user.status if user.password_hash else "invited",
        last_sign_in_at=user.last_sign_in_at,
    )


@router.get("/v1/users", response_model=MemberList)
async def list_members(by: Caller, request: Request) -> MemberList:
    require_role(by, (Role.ADMIN, Role.MANAGER), "list the organisation's users")
    members = await queries.members(request.app.state.uow, by.org_id)
    return MemberList(items=[_view(u, by.org_id) for u in members])


@router.post("/v1/users", status_code=201, response_model=AddedMemberView)
async def add_member(body: AddMemberRequest, by: Caller, bus: Bus) -> AddedMemberView:
    added: AddedMember = await bus.handle(AddMember(by, body.email, body.name, Role(body.role)))
    return AddedMemberView(
        user=_view(added.user, by.org_id),
        invitation=added.invitation,
        invitation_expires_at=added.invitation_expires_at,
    )


@router.patch("/v1/users/{user_id}", response_model=MemberView)
async def change_role(user_id: str, body: ChangeRoleRequest, by: Caller, bus: Bus) -> MemberView:
    user: User = await bus.handle(ChangeMemberRole(by, user_id, Role(body.role)))
    return _view(user, by.org_id)


@router.delete("/v1/users/{user_id}", status_code=204)
async def remove_member(user_id: str, by: Caller, bus: Bus) -> Response:
    await bus.handle(RemoveMember(by, user_id))
    return Response(status_code=204)


@router.post("/v1/invitations/accept", response_model=MemberView)
async def accept_invitation(body: AcceptInvitationRequest, bus: Bus) -> MemberView:
    user: User = await bus.handle(AcceptInvitation(body.token, body.password))
    return MemberView(
        id=user.id, email=user.email, name=user.name, role=None, status=user.status,
        last_sign_in_at=user.last_sign_in_at,
    )  # fmt: skip
