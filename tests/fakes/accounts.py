"""The accounts service over in-memory fakes of its ports, and its bus built over them: the unit
tier of its handlers. Keys are real Ed25519 keys (making one is pure computation), so the
tokens the fakes' service issues are verified by the real verifier; passwords are hashed by a
fast stand-in (argon2id's cost is the adapter's business, tested against the real one)."""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from services.accounts.adapters.keys import Ed25519Keys
from services.accounts.bootstrap import build_bus
from services.accounts.domain.attempts import Attempts
from services.accounts.domain.clients import ApiClient
from services.accounts.domain.errors import EmailTaken, OrganizationExists
from services.accounts.domain.invitations import Invitation
from services.accounts.domain.keys import SigningKey
from services.accounts.domain.model import Organization, User
from services.accounts.domain.sessions import Session
from services.accounts.service_layer import queries
from services.accounts.service_layer.unit_of_work import AccountsUnitOfWork, TokenRules
from shared.auth import JwksVerifier
from shared.clock import utc_now
from shared.contracts.envelope import EventPayload
from shared.messagebus import MessageBus

T0 = datetime.now(UTC).replace(microsecond=0)
ISSUER = AUDIENCE = "roster"


@dataclass
class FakeClock:
    """Starts at the real time (tokens are checked against it), then moves only when told."""

    now: datetime = field(default_factory=utc_now)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


class SequentialIds:
    def __init__(self) -> None:
        self.n = 0

    def __call__(self) -> str:
        self.n += 1
        return f"id-{self.n}"


class FakeUsers:
    """Users, and the events their changes would publish (`published`: organisation, payload)."""

    def __init__(self) -> None:
        self.rows: dict[str, User] = {}
        self.published: list[tuple[str, EventPayload]] = []

    async def get(self, user_id: str) -> User | None:
        return copy.deepcopy(self.rows.get(user_id))

    async def by_email(self, email: str) -> User | None:
        found = [u for u in self.rows.values() if u.email == email]
        return copy.deepcopy(found[0]) if found else None

    async def members(self, org_id: str) -> list[User]:
        return sorted(
            (copy.deepcopy(u) for u in self.rows.values() if org_id in u.roles),
            key=lambda u: u.email,
        )

    async def add(self, user: User) -> None:
        if any(u.email == user.email for u in self.rows.values()):
            raise EmailTaken("taken", email=user.email)
        self._store(user)

    async def save(self, user: User, expected_version: int) -> bool:
        stored = self.rows.get(user.id)
        if stored is None or stored.version != expected_version:
            return False
        self._store(user)
        return True

    async def record_sign_in(self, user_id: str, at: datetime, password_hash: str | None) -> bool:
        user = self.rows.get(user_id)
        if user is None or not user.active:
            return False
        user.last_sign_in_at = at
        if password_hash is not None:
            user.password_hash = password_hash
        return True

    def _store(self, user: User) -> None:
        self.published.extend(user.events)
        user.events.clear()
        self.rows[user.id] = copy.deepcopy(user)


class FakeOrganizations:
    def __init__(self) -> None:
        self.rows: dict[str, Organization] = {}

    async def get(self, org_id: str) -> Organization | None:
        return self.rows.get(org_id)

    async def add(self, organization: Organization) -> None:
        if organization.id in self.rows:
            raise OrganizationExists("exists", org_id=organization.id)
        self.rows[organization.id] = organization


class FakeSessions:
    def __init__(self) -> None:
        self.rows: dict[str, Session] = {}

    async def get(self, session_id: str) -> Session | None:
        return copy.deepcopy(self.rows.get(session_id))

    async def add(self, session: Session) -> None:
        self.rows[session.id] = copy.deepcopy(session)

    async def save(self, session: Session, expected_version: int) -> bool:
        stored = self.rows.get(session.id)
        if stored is None or stored.version != expected_version:
            return False
        session.version = expected_version + 1
        self.rows[session.id] = copy.deepcopy(session)
        return True

    async def revoke(self, session_id: str, because: str, now: datetime) -> None:
        session = self.rows.get(session_id)
        if session is not None and not session.revoked:
            session.revoke(because, now)
            session.version += 1

    async def revoke_all_of(self, user_id: str, because: str, now: datetime) -> int:
        ended = 0
        for session in self.rows.values():
            if session.user_id == user_id and not session.revoked:
                session.revoke(because, now)
                session.version += 1
                ended += 1
        return ended


class FakeInvitations:
    def __init__(self) -> None:
        self.rows: dict[str, Invitation] = {}

    async def add(self, invitation: Invitation) -> None:
        self.rows[invitation.id] = copy.deepcopy(invitation)

    async def get(self, invitation_id: str) -> Invitation | None:
        return copy.deepcopy(self.rows.get(invitation_id))

    async def use(self, invitation_id: str, now: datetime) -> bool:
        invitation = self.rows.get(invitation_id)
        if invitation is None or invitation.used_at is not None:
            return False
        invitation.used_at = now
        return True


class FakeApiClients:
    def __init__(self) -> None:
        self.rows: dict[str, ApiClient] = {}

    async def add(self, client: ApiClient) -> None:
        self.rows[client.id] = copy.deepcopy(client)

    async def get(self, client_id: str) -> ApiClient | None:
        return copy.deepcopy(self.rows.get(client_id))

    async def of_organization(self, org_id: str) -> list[ApiClient]:
        return [copy.deepcopy(c) for c in self.rows.values() if c.org_id == org_id]

    async def revoke(self, client_id: str, now: datetime) -> None:
        if self.rows[client_id].revoked_at is None:
            self.rows[client_id].revoked_at = now

    async def used(self, client_id: str, now: datetime) -> None:
        self.rows[client_id].last_used_at = now


class FakeKeyRing:
    def __init__(self) -> None:
        self.rows: list[SigningKey] = []

    async def all(self) -> list[SigningKey]:
        return copy.deepcopy(self.rows)

    async def add(self, key: SigningKey) -> None:
        self.rows.append(copy.deepcopy(key))

    async def retire(self, kids: list[str], now: datetime) -> None:
        for key in self.rows:
            if key.kid in kids and key.retired_at is None:
                key.retired_at = now


class FakePasswords:
    """Salted SHA-256 stand-in; counts checks, so a test can see an unknown email checked too."""

    def __init__(self) -> None:
        self.checks = 0

    async def hash(self, password: str) -> str:
        return "fake$" + hashlib.sha256(("salt" + password).encode()).hexdigest()

    async def verify(self, password_hash: str | None, password: str) -> bool:
        self.checks += 1
        return password_hash is not None and password_hash == await self.hash(password)

    def needs_rehash(self, password_hash: str) -> bool:
        return False


class FakeAttempts:
    def __init__(self) -> None:
        self.rows: dict[str, Attempts] = {}

    async def get(self, key: str) -> Attempts:
        return copy.deepcopy(self.rows.get(key) or Attempts(key=key))

    async def count(self, key: str, now: datetime) -> Attempts:
        before = (self.rows.get(key) or Attempts(key=key)).current(now)
        self.rows[key] = Attempts(key, before.failures + 1, now)
        return copy.deepcopy(before)

    async def clear(self, key: str) -> None:
        self.rows.pop(key, None)


@dataclass
class FakeAccounts:
    uow: AccountsUnitOfWork
    bus: MessageBus
    clock: FakeClock
    passwords: FakePasswords
    sessions: FakeSessions
    keys: FakeKeyRing
    users: FakeUsers
    fetches: list[int] = field(default_factory=list)

    def verifier(self, min_refresh_s: float = 0.0) -> JwksVerifier:
        """What another service verifies with: the published keys, fetched through the port."""

        async def fetch() -> dict[str, Any]:
            self.fetches.append(1)
            return {"keys": await queries.published_keys(self.uow)}

        return JwksVerifier(fetch, ISSUER, AUDIENCE, min_refresh_s=min_refresh_s)


def fake_accounts(access_ttl: timedelta = timedelta(minutes=15)) -> FakeAccounts:
    clock, passwords, sessions, keys = FakeClock(), FakePasswords(), FakeSessions(), FakeKeyRing()
    users = FakeUsers()
    uow = AccountsUnitOfWork(
        users=users,
        organizations=FakeOrganizations(),
        sessions=sessions,
        invitations=FakeInvitations(),
        clients=FakeApiClients(),
        keys=keys,
        key_factory=Ed25519Keys(),
        passwords=passwords,
        attempts=FakeAttempts(),
        tokens=TokenRules(issuer=ISSUER, audience=AUDIENCE, access_ttl=access_ttl),
        clock=clock,
        new_id=SequentialIds(),
    )
    return FakeAccounts(uow, build_bus(uow), clock, passwords, sessions, keys, users)
