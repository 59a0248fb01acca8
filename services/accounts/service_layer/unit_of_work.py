"""The ports a handler gets, and the service's rules that come from settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from services.accounts.service_layer.ports import (
    ApiClientRepository,
    AttemptLog,
    InvitationRepository,
    KeyFactory,
    KeyRing,
    OrganizationRepository,
    PasswordHasher,
    SessionRepository,
    UserRepository,
)
from shared.clock import Clock, utc_now
from shared.ids import IdFactory, new_uuid


@dataclass
class TokenRules:
    issuer: str
    audience: str
    access_ttl: timedelta = timedelta(minutes=15)
    session_ttl: timedelta = timedelta(days=30)


@dataclass
class AccountsUnitOfWork:
    users: UserRepository
    organizations: OrganizationRepository
    sessions: SessionRepository
    invitations: InvitationRepository
    clients: ApiClientRepository
    keys: KeyRing
    key_factory: KeyFactory
    passwords: PasswordHasher
    attempts: AttemptLog
    tokens: TokenRules
    clock: Clock = utc_now
    new_id: IdFactory = new_uuid
