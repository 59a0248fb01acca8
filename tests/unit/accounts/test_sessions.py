"""Signing in, refreshing and signing out: access tokens every service verifies against the
published keys, refresh tokens that rotate, and a reused one that ends the whole session."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.accounts.domain.commands import (
    AddMember,
    ChangeMemberRole,
    CreateOrganization,
    DeactivateUser,
    RefreshSession,
    SignIn,
    SignOut,
)
from services.accounts.domain.errors import (
    EmailTaken,
    InvalidCredentials,
    InvalidRefreshToken,
    OrganizationExists,
    WeakPassword,
)
from services.accounts.service_layer.tokens import IssuedTokens
from shared.auth import InvalidToken, Principal, Role
from tests.fakes.accounts import FakeAccounts
from tests.unit.accounts.conftest import ADMIN_EMAIL, PASSWORD


async def sign_in(
    accounts: FakeAccounts, email: str = ADMIN_EMAIL, password: str = PASSWORD, org: str = "acme"
) -> IssuedTokens:
    tokens: IssuedTokens = await accounts.bus.handle(SignIn(email, password, org, "10.0.0.1"))
    return tokens


async def refresh(accounts: FakeAccounts, token: str) -> IssuedTokens:
    tokens: IssuedTokens = await accounts.bus.handle(RefreshSession(token))
    return tokens


async def test_signing_in_gives_a_token_every_service_verifies(accounts: FakeAccounts) -> None:
    tokens = await sign_in(accounts, email="  amina@EXAMPLE.org ")  # any case, any spaces
    principal = await accounts.verifier().verify(tokens.access_token)
    [user] = accounts.uow.users.rows.values()  # type: ignore[attr-defined]
    assert principal == Principal("acme", Role.ADMIN, user.id, session_id=principal.session_id)
    assert principal.session_id in accounts.sessions.rows
    assert tokens.expires_in == 15 * 60
    assert user.last_sign_in_at == accounts.clock()


@pytest.mark.parametrize(
    ("email", "password", "org"),
    [
        (ADMIN_EMAIL, "wrong password!!", "acme"),
        ("nobody@example.org", PASSWORD, "acme"),
        (ADMIN_EMAIL, PASSWORD, "another-org"),
        ("not an email", PASSWORD, "acme"),
    ],
    ids=["wrong-password", "unknown-email", "not-a-member", "not-an-email"],
)
async def test_every_wrong_sign_in_says_the_same_and_costs_a_password_check(
    accounts: FakeAccounts, email: str, password: str, org: str
) -> None:
    checks = accounts.passwords.checks
    with pytest.raises(InvalidCredentials) as refused:
        await sign_in(accounts, email, password, org)
    assert refused.value.message == "the email, the password or the organisation is not right"
    assert accounts.passwords.checks == checks + 1


async def test_a_refresh_token_trades_once_and_a_reuse_ends_the_session(
    accounts: FakeAccounts,
) -> None:
    first = await sign_in(accounts)
    second = await refresh(accounts, first.refresh_token)
    third = await refresh(accounts, second.refresh_token)
    assert len({first.refresh_token, second.refresh_token, third.refresh_token}) == 3
    assert (await accounts.verifier().verify(third.access_token)).org_id == "acme"

    with pytest.raises(InvalidRefreshToken, match="used before"):
        await refresh(accounts, first.refresh_token)  # stolen, or replayed
    with pytest.raises(InvalidRefreshToken):
        await refresh(accounts, third.refresh_token)  # the family is gone with it
    [session] = accounts.sessions.rows.values()
    assert session.revoked_because == "refresh_token_reused"


async def test_a_made_up_refresh_token_changes_nothing(accounts: FakeAccounts) -> None:
    tokens = await sign_in(accounts)
    session_id = tokens.refresh_token.split(".")[0]
    for made_up in (f"{session_id}.guessed", "nosuchsession.x", "no-dot", ""):
        with pytest.raises(InvalidRefreshToken):
            await refresh(accounts, made_up)
    assert not accounts.sessions.rows[session_id].revoked
    assert (await refresh(accounts, tokens.refresh_token)).access_token


async def test_signing_out_ends_the_session(accounts: FakeAccounts) -> None:
    tokens = await sign_in(accounts)
    principal = await accounts.verifier().verify(tokens.access_token)
    assert principal.session_id is not None
    await accounts.bus.handle(SignOut(principal.session_id))
    with pytest.raises(InvalidRefreshToken):
        await refresh(accounts, tokens.refresh_token)


async def test_a_deactivated_user_cannot_refresh_and_their_access_token_lapses(
    accounts: FakeAccounts,
) -> None:
    accounts.clock.advance(-timedelta(minutes=16))  # issued 16 minutes ago: past its 15
    old = await sign_in(accounts)
    accounts.clock.advance(timedelta(minutes=16))
    tokens = await sign_in(accounts)
    await accounts.verifier().verify(tokens.access_token)
    user = await accounts.uow.users.by_email(ADMIN_EMAIL.lower())
    assert user is not None

    await accounts.bus.handle(DeactivateUser(email=ADMIN_EMAIL))

    with pytest.raises(InvalidRefreshToken):
        await refresh(accounts, tokens.refresh_token)
    with pytest.raises(InvalidCredentials):
        await sign_in(accounts)
    # Access tokens are not looked up: one lives out its minutes, then dies.
    assert (await accounts.verifier().verify(tokens.access_token)).subject == user.id
    with pytest.raises(InvalidToken, match="expired"):
        await accounts.verifier().verify(old.access_token)


async def test_a_role_changed_since_signing_in_comes_with_the_next_refresh(
    accounts: FakeAccounts,
) -> None:
    tokens = await sign_in(accounts)
    user = await accounts.uow.users.by_email(ADMIN_EMAIL.lower())
    assert user is not None
    second_admin = await accounts.bus.handle(
        AddMember(await _principal(accounts, tokens), "bo@example.org", "Bo", Role.ADMIN)
    )
    assert second_admin.invitation
    await accounts.bus.handle(
        ChangeMemberRole(await _principal(accounts, tokens), user.id, Role.STAFF)
    )
    refreshed = await refresh(accounts, tokens.refresh_token)
    assert (await accounts.verifier().verify(refreshed.access_token)).role == Role.STAFF


async def test_an_existing_user_becomes_admin_of_a_new_organisation(
    accounts: FakeAccounts,
) -> None:
    await accounts.bus.handle(CreateOrganization("beta", "Beta", ADMIN_EMAIL, "", "ignored"))
    tokens = await sign_in(accounts, org="beta")
    assert (await accounts.verifier().verify(tokens.access_token)).org_id == "beta"
    with pytest.raises(OrganizationExists):
        await accounts.bus.handle(CreateOrganization("beta", "B", "x@example.org", "", PASSWORD))
    with pytest.raises(WeakPassword):
        await accounts.bus.handle(CreateOrganization("gamma", "G", "y@example.org", "", "short"))
    with pytest.raises(EmailTaken):
        await accounts.uow.users.add(
            await accounts.uow.users.by_email(ADMIN_EMAIL.lower())  # type: ignore[arg-type]
        )


async def _principal(accounts: FakeAccounts, tokens: IssuedTokens) -> Principal:
    return await accounts.verifier().verify(tokens.access_token)
