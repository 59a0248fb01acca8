"""What callers ask the accounts service to do, in the imperative."""

from __future__ import annotations

from dataclasses import dataclass

from shared.auth import Principal, Role


@dataclass(frozen=True)
class CreateOrganization:
    """An organisation and its first admin (an existing user joins it as admin)."""

    org_id: str
    name: str
    admin_email: str
    admin_name: str
    admin_password: str | None  # None: a new admin gets an invitation to set one


@dataclass(frozen=True)
class AddMember:
    """An admin adds someone to their organisation with a role: an existing user joins at once;
    someone new gets an account without a password and an invitation to set one."""

    by: Principal
    email: str
    name: str
    role: Role


@dataclass(frozen=True)
class ChangeMemberRole:
    by: Principal
    user_id: str
    role: Role


@dataclass(frozen=True)
class RemoveMember:
    by: Principal
    user_id: str


@dataclass(frozen=True)
class AcceptInvitation:
    """The invited person sets their password (the invitation's token is good once)."""

    token: str
    password: str


@dataclass(frozen=True)
class CreateApiClient:
    by: Principal
    name: str
    role: Role


@dataclass(frozen=True)
class RevokeApiClient:
    by: Principal
    client_id: str


@dataclass(frozen=True)
class IssueClientToken:
    """OAuth 2.0 client credentials: an access token for an API client."""

    client_id: str
    client_secret: str


@dataclass(frozen=True)
class IssueDevelopmentToken:
    """A token like a signed-in user's with a lifetime of its own: `roster token`, refused by
    the command line in production."""

    org_id: str
    role: Role
    subject: str
    ttl_s: int


@dataclass(frozen=True)
class SignIn:
    email: str
    password: str
    org_id: str
    address: str  # where the attempt came from, for the attempt limits


@dataclass(frozen=True)
class RefreshSession:
    refresh_token: str


@dataclass(frozen=True)
class SignOut:
    session_id: str


@dataclass(frozen=True)
class DeactivateUser:
    """The user can no longer sign in anywhere, and every session of theirs ends: a platform
    operator's act, across organisations."""

    email: str


@dataclass(frozen=True)
class RotateSigningKey:
    """A new key signs from now on; the previous one is published until its tokens expire."""
