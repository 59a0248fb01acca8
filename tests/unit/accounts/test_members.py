"""An organisation's members: an admin adds someone (new people get an invitation to set their
password, existing users join at once), changes roles and removes members, and every change is
an event the other services learn it from. An organisation always keeps an admin."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.accounts.domain.commands import (
    AcceptInvitation,
    AddMember,
    ChangeMemberRole,
    CreateOrganization,
    DeactivateUser,
    RemoveMember,
    SignIn,
)
from services.accounts.domain.errors import (
    Forbidden,
    InvalidCredentials,
    InvalidInvitation,
    LastAdmin,
)
from services.accounts.service_layer.results import AddedMember
from shared.auth import Principal, Role
from shared.contracts.accounts import UserJoinedOrganization, UserLeftOrganization, UserRoleChanged
from tests.fakes.accounts import FakeAccounts
from tests.unit.accounts.conftest import ADMIN_EMAIL, PASSWORD

NEW_PASSWORD = "a fresh long password"


async def admin_of(accounts: FakeAccounts, org: str = "acme") -> Principal:
    admin = await accounts.uow.users.by_email(ADMIN_EMAIL.lower())
    assert admin is not None
    return Principal(org, Role.ADMIN, admin.id)


async def test_someone_new_is_invited_sets_a_password_once_and_signs_in(
    accounts: FakeAccounts,
) -> None:
    added: AddedMember = await accounts.bus.handle(
        AddMember(await admin_of(accounts), " Sam@Example.org", "Sam", Role.STAFF)
    )
    assert added.invitation and added.user.password_hash is None
    with pytest.raises(InvalidCredentials):  # no password yet: nothing to sign in with
        await accounts.bus.handle(SignIn("sam@example.org", "", "acme", "10.0.0.2"))

    await accounts.bus.handle(AcceptInvitation(added.invitation, NEW_PASSWORD))
    with pytest.raises(InvalidInvitation):
        await accounts.bus.handle(AcceptInvitation(added.invitation, "another long password"))
    tokens = await accounts.bus.handle(SignIn("sam@example.org", NEW_PASSWORD, "acme", "x"))
    assert tokens.role == Role.STAFF

    assert [
        (org, type(e).__name__, e.role)
        for org, e in accounts.users.published
        if isinstance(e, UserJoinedOrganization)
    ] == [
        ("acme", "UserJoinedOrganization", "admin"),
        ("acme", "UserJoinedOrganization", "staff"),
    ]


async def test_an_invitation_expires_and_a_made_up_one_is_refused(accounts: FakeAccounts) -> None:
    added = await accounts.bus.handle(
        AddMember(await admin_of(accounts), "late@example.org", "", Role.MANAGER)
    )
    for made_up in ("nope", f"{added.invitation.split('.')[0]}.guessed", ""):
        with pytest.raises(InvalidInvitation):
            await accounts.bus.handle(AcceptInvitation(made_up, NEW_PASSWORD))
    accounts.clock.advance(timedelta(days=8))
    with pytest.raises(InvalidInvitation):
        await accounts.bus.handle(AcceptInvitation(added.invitation, NEW_PASSWORD))


async def test_an_existing_user_joins_at_once_and_roles_change_and_end_with_events(
    accounts: FakeAccounts,
) -> None:
    await accounts.bus.handle(CreateOrganization("beta", "Beta", "bo@example.org", "Bo", PASSWORD))
    beta_admin = await accounts.uow.users.by_email("bo@example.org")
    assert beta_admin is not None
    added = await accounts.bus.handle(
        AddMember(Principal("beta", Role.ADMIN, beta_admin.id), ADMIN_EMAIL, "", Role.STAFF)
    )
    assert added.invitation is None  # has a password already: nothing to pass on
    by = Principal("beta", Role.ADMIN, beta_admin.id)
    await accounts.bus.handle(ChangeMemberRole(by, added.user.id, Role.MANAGER))
    await accounts.bus.handle(RemoveMember(by, added.user.id))

    mine = [
        (org, type(e).__name__)
        for org, e in accounts.users.published
        if getattr(e, "user_id", None) == added.user.id
    ]
    assert mine == [
        ("acme", "UserJoinedOrganization"),
        ("beta", "UserJoinedOrganization"),
        ("beta", "UserRoleChanged"),
        ("beta", "UserLeftOrganization"),
    ]
    roles = [e for _, e in accounts.users.published if isinstance(e, UserRoleChanged)]
    assert roles[-1].role == "manager"
    # Still admin of acme, signs in there; no longer in beta.
    assert (await accounts.bus.handle(SignIn(ADMIN_EMAIL, PASSWORD, "acme", "y"))).org_id == "acme"
    with pytest.raises(InvalidCredentials):
        await accounts.bus.handle(SignIn(ADMIN_EMAIL, PASSWORD, "beta", "y"))


async def test_only_admins_manage_members_and_the_last_admin_stays(
    accounts: FakeAccounts,
) -> None:
    admin = await admin_of(accounts)
    manager = await accounts.bus.handle(AddMember(admin, "m@example.org", "M", Role.MANAGER))
    as_manager = Principal("acme", Role.MANAGER, manager.user.id)
    with pytest.raises(Forbidden):
        await accounts.bus.handle(AddMember(as_manager, "x@example.org", "X", Role.ADMIN))
    with pytest.raises(LastAdmin):
        await accounts.bus.handle(ChangeMemberRole(admin, admin.subject, Role.STAFF))
    with pytest.raises(LastAdmin):
        await accounts.bus.handle(RemoveMember(admin, admin.subject))
    await accounts.bus.handle(ChangeMemberRole(admin, manager.user.id, Role.ADMIN))
    await accounts.bus.handle(RemoveMember(admin, admin.subject))  # another admin remains


async def test_deactivation_is_leaving_every_organisation_for_the_other_services(
    accounts: FakeAccounts,
) -> None:
    await accounts.bus.handle(CreateOrganization("beta", "Beta", ADMIN_EMAIL, "", PASSWORD))
    await accounts.bus.handle(DeactivateUser(ADMIN_EMAIL))
    left = [org for org, e in accounts.users.published if isinstance(e, UserLeftOrganization)]
    assert left == ["acme", "beta"]
