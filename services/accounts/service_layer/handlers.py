"""The accounts service's handlers: one per command, each over the unit of work's ports."""

from __future__ import annotations

import math
from datetime import datetime

from services.accounts.domain.attempts import PER_ACCOUNT, PER_ADDRESS, Attempts
from services.accounts.domain.commands import (
    CreateOrganization,
    DeactivateUser,
    RefreshSession,
    RotateSigningKey,
    SignIn,
    SignOut,
)
from services.accounts.domain.errors import (
    InvalidCredentials,
    InvalidEmail,
    InvalidRefreshToken,
    OrganizationExists,
    TooManyAttempts,
    UnknownUser,
)
from services.accounts.domain.keys import SigningKey, rotate, signing_key
from services.accounts.domain.model import (
    Organization,
    User,
    check_org_id,
    check_password,
    normalize_email,
)
from services.accounts.domain.sessions import Session, split_refresh_token
from services.accounts.service_layer.tokens import IssuedTokens, access_token
from services.accounts.service_layer.unit_of_work import AccountsUnitOfWork
from shared.auth import Role
from shared.logging import get_logger

log = get_logger(__name__)


async def create_organization(cmd: CreateOrganization, uow: AccountsUnitOfWork) -> User:
    """The user first (joining it, or made), then the organisation: a crash in between leaves
    a role in an organisation not created yet, which the command, run again, completes."""
    check_org_id(cmd.org_id)
    email = normalize_email(cmd.admin_email)
    if await uow.organizations.get(cmd.org_id) is not None:
        raise OrganizationExists(f"the organisation {cmd.org_id} exists", org_id=cmd.org_id)
    now = uow.clock()
    user = await uow.users.by_email(email)
    if user is None:
        check_password(cmd.admin_password)
        user = User(
            id=uow.new_id(),
            email=email,
            name=cmd.admin_name.strip() or email,
            password_hash=await uow.passwords.hash(cmd.admin_password),
            created_at=now,
        )
        user.join(cmd.org_id, Role.ADMIN)
        await uow.users.add(user)
    else:
        user.join(cmd.org_id, Role.ADMIN)
        await uow.users.save(user)
    await uow.organizations.add(Organization(id=cmd.org_id, name=cmd.name.strip(), created_at=now))
    log.info("organization_created", org_id=cmd.org_id, admin=user.id)
    return user


async def sign_in(cmd: SignIn, uow: AccountsUnitOfWork) -> IssuedTokens:
    now = uow.clock()
    try:
        email = normalize_email(cmd.email)
    except InvalidEmail:
        email = cmd.email.strip().lower()[:320]  # counted against, like any wrong address
    account = await uow.attempts.get(f"account:{email}")
    address = await uow.attempts.get(f"address:{cmd.address}")
    waits = [w for w in (account.waiting(now), address.waiting(now)) if w is not None]
    if waits:
        retry_after = math.ceil(max(waits).total_seconds())
        log.warning("sign_in_refused_waiting", address=cmd.address, retry_after_s=retry_after)
        raise TooManyAttempts(
            "too many failed sign-ins: try again later", retry_after_s=retry_after
        )
    user = await uow.users.by_email(email)
    stored = user.password_hash if user is not None and user.password_hash else None
    # An unknown address costs the same hashing as a wrong password (see PasswordHasher).
    right = await uow.passwords.verify(stored, cmd.password)
    role = user.role_in(cmd.org_id) if user is not None and stored and right else None
    if user is None or role is None:
        await _failed(uow, account, address, now)
        raise InvalidCredentials("the email, the password or the organisation is not right")
    await uow.attempts.clear(account.key)
    if uow.passwords.needs_rehash(stored or ""):
        user.password_hash = await uow.passwords.hash(cmd.password)
    user.signed_in(now)
    await uow.users.save(user)
    session, refresh = Session.start(
        uow.new_id(), user.id, cmd.org_id, role, now, uow.tokens.session_ttl
    )
    await uow.sessions.add(session)
    log.info("signed_in", user_id=user.id, org_id=cmd.org_id, session_id=session.id)
    return await _tokens(uow, session, role, refresh)


async def refresh_session(cmd: RefreshSession, uow: AccountsUnitOfWork) -> IssuedTokens:
    """A new access token and the next refresh token, with the user's role as it is now."""
    now = uow.clock()
    session_id, secret = split_refresh_token(cmd.refresh_token)
    session = await uow.sessions.get(session_id)
    if session is None:
        raise InvalidRefreshToken("the refresh token is not valid")
    version = session.version
    user = await uow.users.get(session.user_id)
    role = user.role_in(session.org_id) if user is not None else None
    if role is None and not session.revoked:
        session.revoke("no_longer_a_member", now)
        await uow.sessions.save(session, version)
        raise InvalidRefreshToken("the session has ended")
    try:
        refresh = session.rotate(secret, now)
    except InvalidRefreshToken:
        if session.revoked and session.revoked_because == "refresh_token_reused":
            log.warning("refresh_token_reused", session_id=session.id, user_id=session.user_id)
            await uow.sessions.save(session, version)
        raise
    if not await uow.sessions.save(session, version):
        raise InvalidRefreshToken("the refresh token was just used")
    assert role is not None
    session.role = role
    return await _tokens(uow, session, role, refresh)


async def sign_out(cmd: SignOut, uow: AccountsUnitOfWork) -> None:
    session = await uow.sessions.get(cmd.session_id)
    if session is None or session.revoked:
        return
    version = session.version
    session.revoke("signed_out", uow.clock())
    await uow.sessions.save(session, version)


async def deactivate_user(cmd: DeactivateUser, uow: AccountsUnitOfWork) -> User:
    """By an admin of an organisation the user belongs to. Their access tokens die with their
    15 minutes; their sessions end now, so none is refreshed."""
    user = await uow.users.get(cmd.user_id)
    if user is None or cmd.by.org_id not in user.roles or cmd.by.role != Role.ADMIN:
        raise UnknownUser("no such user in this organisation", user_id=cmd.user_id)
    user.deactivate()
    await uow.users.save(user)
    ended = await uow.sessions.revoke_all_of(user.id, "user_deactivated", uow.clock())
    log.info("user_deactivated", user_id=user.id, by=cmd.by.actor, sessions_ended=ended)
    return user


async def rotate_signing_key(cmd: RotateSigningKey, uow: AccountsUnitOfWork) -> SigningKey:
    """The new key is stored first, then the old ones retired: a crash in between leaves two
    signing keys, of which the newer signs, and the next rotation retires both."""
    now = uow.clock()
    keys = await uow.keys.all()
    fresh = uow.key_factory.new_key(now)
    await uow.keys.add(fresh)
    retired = [k.kid for k in keys if k.signing]
    rotate(keys, fresh, now)
    await uow.keys.retire(retired, now)
    log.info("signing_key_rotated", kid=fresh.kid, retired=retired)
    return fresh


async def _tokens(
    uow: AccountsUnitOfWork, session: Session, role: Role, refresh: str
) -> IssuedTokens:
    key = signing_key(await uow.keys.all())
    if key is None:  # a service started with none makes one; this is the first request since
        key = await rotate_signing_key(RotateSigningKey(), uow)
    token = access_token(
        key,
        uow.tokens,
        user_id=session.user_id,
        org_id=session.org_id,
        role=role,
        session_id=session.id,
        now=uow.clock(),
    )
    return IssuedTokens(
        access_token=token,
        expires_in=int(uow.tokens.access_ttl.total_seconds()),
        refresh_token=refresh,
        org_id=session.org_id,
        role=role,
    )


async def _failed(
    uow: AccountsUnitOfWork, account: Attempts, address: Attempts, now: datetime
) -> None:
    account.failed(PER_ACCOUNT, now)
    address.failed(PER_ADDRESS, now)
    await uow.attempts.save(account)
    await uow.attempts.save(address)
    log.warning(
        "sign_in_failed",
        account_failures=account.failures,
        address=address.key.removeprefix("address:"),
        address_failures=address.failures,
        waits_s=max(
            (w.total_seconds() for w in (account.waiting(now), address.waiting(now)) if w),
            default=0,
        ),
    )
