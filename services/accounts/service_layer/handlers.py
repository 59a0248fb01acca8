"""The accounts service's handlers: one per command, each over the unit of work's ports."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from services.accounts.domain.attempts import PER_ACCOUNT, PER_ADDRESS, Attempts
from services.accounts.domain.commands import (
    CreateOrganization,
    DeactivateUser,
    IssueDevelopmentToken,
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
from services.accounts.domain.invitations import Invitation
from services.accounts.domain.keys import SigningKey, rotate, signing_key
from services.accounts.domain.model import (
    Organization,
    User,
    check_org_id,
    check_password,
    normalize_email,
)
from services.accounts.domain.sessions import Session, split_refresh_token
from services.accounts.service_layer.results import CreatedOrganization
from services.accounts.service_layer.tokens import IssuedTokens, access_token
from services.accounts.service_layer.unit_of_work import AccountsUnitOfWork
from shared.auth import Role
from shared.logging import get_logger

log = get_logger(__name__)


async def create_organization(
    cmd: CreateOrganization, uow: AccountsUnitOfWork
) -> CreatedOrganization:
    """The user first (joining it, or made), then the organisation: a crash in between leaves
    a role in an organisation not created yet, which the command, run again, completes."""
    check_org_id(cmd.org_id)
    email = normalize_email(cmd.admin_email)
    if await uow.organizations.get(cmd.org_id) is not None:
        raise OrganizationExists(f"the organisation {cmd.org_id} exists", org_id=cmd.org_id)
    now = uow.clock()
    user = await uow.users.by_email(email)
    invitation = None
    if user is None:
        password_hash = None
        if cmd.admin_password is not None:
            check_password(cmd.admin_password)
            password_hash = await uow.passwords.hash(cmd.admin_password)
        user = User(
            id=uow.new_id(),
            email=email,
            name=cmd.admin_name.strip() or email,
            password_hash=password_hash,
            created_at=now,
        )
        user.join(cmd.org_id, Role.ADMIN)
        await uow.users.add(user)
        if password_hash is None:
            invited, invitation = Invitation.issue(uow.new_id(), user.id, cmd.org_id, now)
            await uow.invitations.add(invited)
    else:
        user = await mutate_user(uow, user.id, lambda u: u.join(cmd.org_id, Role.ADMIN))
    await uow.organizations.add(Organization(id=cmd.org_id, name=cmd.name.strip(), created_at=now))
    log.info("organization_created", org_id=cmd.org_id, admin=user.id)
    return CreatedOrganization(user, invitation)


async def sign_in(cmd: SignIn, uow: AccountsUnitOfWork) -> IssuedTokens:
    """Every attempt counts as a failure on the account and on the address before the password
    is checked, atomically, so that a burst of concurrent guesses is counted whole and all but
    the first few wait; a right password clears the account's run."""
    now = uow.clock()
    try:
        email = normalize_email(cmd.email)
    except InvalidEmail:
        email = cmd.email.strip().lower()[:320]  # counted against, like any wrong address
    keys = {PER_ACCOUNT: f"account:{email}", PER_ADDRESS: f"address:{cmd.address}"}
    await _refuse_while_waiting(uow, [await uow.attempts.get(k) for k in keys.values()], now)
    before = [await uow.attempts.count(key, now) for key in keys.values()]
    await _refuse_while_waiting(uow, before, now)
    user = await uow.users.by_email(email)
    stored = user.password_hash if user is not None and user.password_hash else None
    # An unknown address costs the same hashing as a wrong password (see PasswordHasher).
    right = await uow.passwords.verify(stored, cmd.password)
    role = user.role_in(cmd.org_id) if user is not None and stored and right else None
    if user is None or role is None:
        log.warning(
            "sign_in_failed",
            address=cmd.address,
            account_failures=before[0].current(now).failures + 1,
            address_failures=before[1].current(now).failures + 1,
        )
        raise InvalidCredentials("the email, the password or the organisation is not right")
    await uow.attempts.clear(keys[PER_ACCOUNT])
    rehashed = None
    if uow.passwords.needs_rehash(stored or ""):
        rehashed = await uow.passwords.hash(cmd.password)
    if not await uow.users.record_sign_in(user.id, now, rehashed):  # deactivated meanwhile
        raise InvalidCredentials("the email, the password or the organisation is not right")
    session, refresh = Session.start(
        uow.new_id(), user.id, cmd.org_id, role, now, uow.tokens.session_ttl
    )
    await uow.sessions.add(session)
    # Deactivated between the check and the session's write: its sessions were ended before
    # this one existed, so this one is ended here.
    again = await uow.users.get(user.id)
    if again is None or again.role_in(cmd.org_id) is None:
        await uow.sessions.revoke(session.id, "user_deactivated", now)
        raise InvalidCredentials("the email, the password or the organisation is not right")
    log.info("signed_in", user_id=user.id, org_id=cmd.org_id, session_id=session.id)
    return await _tokens(uow, session, role, refresh)


async def _refuse_while_waiting(
    uow: AccountsUnitOfWork, runs: list[Attempts], now: datetime
) -> None:
    rules = (PER_ACCOUNT, PER_ADDRESS)
    waits = [w for run, rule in zip(runs, rules, strict=True) if (w := run.waiting(rule, now))]
    if waits:
        retry_after = max(1, math.ceil(max(waits).total_seconds()))
        log.warning(
            "sign_in_refused_waiting",
            retry_after_s=retry_after,
            account_failures=runs[0].failures,
            address_failures=runs[1].failures,
        )
        raise TooManyAttempts(
            "too many failed sign-ins: try again later", retry_after_s=retry_after
        )


async def refresh_session(cmd: RefreshSession, uow: AccountsUnitOfWork) -> IssuedTokens:
    """A new access token and the next refresh token, with the user's role as it is now. Two
    refreshes with one token at once are a reuse too: the one that loses ends the session."""
    now = uow.clock()
    session_id, secret = split_refresh_token(cmd.refresh_token)
    session = await uow.sessions.get(session_id)
    if session is None:
        raise InvalidRefreshToken("the refresh token is not valid")
    version = session.version
    user = await uow.users.get(session.user_id)
    role = user.role_in(session.org_id) if user is not None else None
    if role is None:
        await uow.sessions.revoke(session.id, "no_longer_a_member", now)
        raise InvalidRefreshToken("the session has ended")
    try:
        refresh = session.rotate(secret, now)
    except InvalidRefreshToken:
        if session.revoked_because == "refresh_token_reused" and session.revoked_at == now:
            await _reused(uow, session, now)
        raise
    if not await uow.sessions.save(session, version):
        await _reused(uow, session, now)
        raise InvalidRefreshToken("the refresh token was used before; the session is revoked")
    session.role = role
    return await _tokens(uow, session, role, refresh)


async def _reused(uow: AccountsUnitOfWork, session: Session, now: datetime) -> None:
    log.warning("refresh_token_reused", session_id=session.id, user_id=session.user_id)
    await uow.sessions.revoke(session.id, "refresh_token_reused", now)


async def sign_out(cmd: SignOut, uow: AccountsUnitOfWork) -> None:
    await uow.sessions.revoke(cmd.session_id, "signed_out", uow.clock())


async def deactivate_user(cmd: DeactivateUser, uow: AccountsUnitOfWork) -> User:
    """A platform operator's act (`roster users deactivate`), not an organisation admin's: the
    account signs in nowhere any more. Its access tokens die with their 15 minutes; its
    sessions end now, so none is refreshed."""
    user = await uow.users.by_email(normalize_email(cmd.email))
    if user is None:
        raise UnknownUser("no such user", email=cmd.email)
    user = await mutate_user(uow, user.id, lambda u: u.deactivate())
    ended = await uow.sessions.revoke_all_of(user.id, "user_deactivated", uow.clock())
    log.info("user_deactivated", user_id=user.id, sessions_ended=ended)
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


async def issue_development_token(cmd: IssueDevelopmentToken, uow: AccountsUnitOfWork) -> str:
    rules = replace(uow.tokens, access_ttl=timedelta(seconds=cmd.ttl_s))
    return access_token(await current_key(uow), rules, user_id=cmd.subject, org_id=cmd.org_id,
                        role=cmd.role, session_id=None, now=uow.clock())  # fmt: skip


async def current_key(uow: AccountsUnitOfWork) -> SigningKey:
    """The key that signs now; the service makes one at start, so none is rare (its first
    request, right after a store was emptied)."""
    key = signing_key(await uow.keys.all())
    return key or await rotate_signing_key(RotateSigningKey(), uow)


async def mutate_user(
    uow: AccountsUnitOfWork, user_id: str, change: Callable[[User], None]
) -> User:
    """Reads the user, applies `change` and stores it with its events, again from a fresh read
    if someone else stored the user meanwhile."""
    for _ in range(10):
        user = await uow.users.get(user_id)
        if user is None:
            raise UnknownUser("no such user", user_id=user_id)
        version = user.version
        change(user)
        if await uow.users.save(user, version):
            return user
    raise RuntimeError(f"user {user_id} kept changing under a write")


async def _tokens(
    uow: AccountsUnitOfWork, session: Session, role: Role, refresh: str
) -> IssuedTokens:
    key = await current_key(uow)
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
