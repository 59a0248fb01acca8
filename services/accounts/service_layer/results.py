"""What the accounts handlers answer, beyond the aggregates themselves: the secrets shown once
(an invitation, an API client's secret) travel back to the caller in these, never stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.accounts.domain.clients import ApiClient
from services.accounts.domain.model import User
from shared.auth import Role


@dataclass(frozen=True)
class CreatedOrganization:
    admin: User
    invitation: str | None  # a new admin without a password: the token to set one with, once


@dataclass(frozen=True)
class AddedMember:
    user: User
    invitation: str | None  # the token to pass on, for someone who has no password yet
    invitation_expires_at: datetime | None = None


@dataclass(frozen=True)
class MadeClient:
    client: ApiClient
    secret: str  # shown this once


@dataclass(frozen=True)
class ClientToken:
    access_token: str
    expires_in: int
    role: Role
