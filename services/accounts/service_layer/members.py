"""An organisation's members: added by its admins (with an invitation when the person is new),
their role changed, removed; and the invitation taken up. Every change is an event the other
services keep a copy of (the groups service: who may be a group's staff)."""

from __future__ import annotations

from services.accounts.domain.commands import (
    AcceptInvitation,
    AddMember,
    ChangeMemberRole,
    RemoveMember,
)
from services.accounts.domain.errors import Forbidden, InvalidInvitation, LastAdmin, UnknownUser
from services.accounts.domain.invitations import NOT_VALID, Invitation, split_invitation_token
from services.accounts.domain.model import User, check_password, normalize_email
from services.accounts.service_layer.handlers import mutate_user
from services.accounts.service_layer.results import AddedMember
from services.accounts.service_layer.unit_of_work import AccountsUnitOfWork
from shared.auth import Principal, Role
from shared.logging import get_logger

log = get_logger(__name__)


def _admin(by: Principal, action: str) -> None:
    if by.role != Role.ADMIN:
        raise Forbidden(f"only admins {action}")


async def add_member(cmd: AddMember, uow: AccountsUnitOfWork) -> AddedMember:
    _admin(cmd.by, "add members")
    email = normalize_email(cmd.email)
    org_id, now = cmd.by.org_id, uow.clock()
    existing = await uow.users.by_email(email)
    if existing is None:
        user = User(
            id=uow.new_id(),
            email=email,
            name=cmd.name.strip() or email,
            password_hash=None,
            created_at=now,
        )
        user.join(org_id, cmd.role)
        await uow.users.add(user)
    else:
        user = await mutate_user(uow, existing.id, lambda u: u.join(org_id, cmd.role))
    log.info("member_added", user_id=user.id, role=cmd.role.value, by=cmd.by.actor)
    if user.password_hash is not None:
        return AddedMember(user, None)
    invitation, token = Invitation.issue(uow.new_id(), user.id, org_id, now)
    await uow.invitations.add(invitation)
    return AddedMember(user, token, invitation.expires_at)


async def change_member_role(cmd: ChangeMemberRole, uow: AccountsUnitOfWork) -> User:
    _admin(cmd.by, "change roles")
    org_id = cmd.by.org_id
    await _member(uow, org_id, cmd.user_id)
    if cmd.role != Role.ADMIN:
        await _keep_an_admin(uow, org_id, cmd.user_id)
    return await mutate_user(uow, cmd.user_id, lambda u: u.join(org_id, cmd.role))


async def remove_member(cmd: RemoveMember, uow: AccountsUnitOfWork) -> None:
    """Their sessions in this organisation end at their next refresh (the role is gone)."""
    _admin(cmd.by, "remove members")
    org_id = cmd.by.org_id
    await _member(uow, org_id, cmd.user_id)
    await _keep_an_admin(uow, org_id, cmd.user_id)
    await mutate_user(uow, cmd.user_id, lambda u: u.leave(org_id))
    log.info("member_removed", user_id=cmd.user_id, by=cmd.by.actor)


async def accept_invitation(cmd: AcceptInvitation, uow: AccountsUnitOfWork) -> User:
    invitation_id, secret = split_invitation_token(cmd.token)
    invitation = await uow.invitations.get(invitation_id)
    now = uow.clock()
    if invitation is None:
        raise InvalidInvitation(NOT_VALID)
    invitation.check(secret, now)
    check_password(cmd.password)
    password_hash = await uow.passwords.hash(cmd.password)
    if not await uow.invitations.use(invitation.id, now):  # taken up at the same moment
        raise InvalidInvitation(NOT_VALID)
    return await mutate_user(uow, invitation.user_id, lambda u: u.set_password(password_hash))


async def _member(uow: AccountsUnitOfWork, org_id: str, user_id: str) -> User:
    user = await uow.users.get(user_id)
    if user is None or org_id not in user.roles:
        raise UnknownUser("no such member of this organisation", user_id=user_id)
    return user


async def _keep_an_admin(uow: AccountsUnitOfWork, org_id: str, user_id: str) -> None:
    admins = [u.id for u in await uow.users.members(org_id) if u.role_in(org_id) == Role.ADMIN]
    if admins == [user_id]:
        raise LastAdmin("an organisation keeps at least one admin", user_id=user_id)
