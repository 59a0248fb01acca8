"""What callers ask the accounts service to do, in the imperative."""

from __future__ import annotations

from dataclasses import dataclass

from shared.auth import Principal


@dataclass(frozen=True)
class CreateOrganization:
    """An organisation and its first admin (an existing user joins it as admin)."""

    org_id: str
    name: str
    admin_email: str
    admin_name: str
    admin_password: str


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
    """The user can no longer sign in, and every session of theirs ends."""

    by: Principal
    user_id: str


@dataclass(frozen=True)
class RotateSigningKey:
    """A new key signs from now on; the previous one is published until its tokens expire."""
