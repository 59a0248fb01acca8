"""What the accounts handlers need from the world, as Protocols; the adapters implement them
over MongoDB, argon2 and Ed25519, the fakes in tests/fakes/accounts.py in memory."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from services.accounts.domain.attempts import Attempts
from services.accounts.domain.clients import ApiClient
from services.accounts.domain.invitations import Invitation
from services.accounts.domain.keys import SigningKey
from services.accounts.domain.model import Organization, User
from services.accounts.domain.sessions import Session


class UserRepository(Protocol):
    async def get(self, user_id: str) -> User | None: ...

    async def by_email(self, email: str) -> User | None:
        """`email` normalized (`normalize_email`)."""
        ...

    async def add(self, user: User) -> None:
        """Stores the user with its events (published later, never lost); raises EmailTaken
        when the address is someone's already."""
        ...

    async def save(self, user: User, expected_version: int) -> bool:
        """The user's state and events, unless it changed since it was read at
        `expected_version` (then False, and nothing is stored)."""
        ...

    async def record_sign_in(self, user_id: str, at: datetime, password_hash: str | None) -> bool:
        """The time of a sign-in (and a rehashed password), without touching the rest: a role
        changed meanwhile stays changed. False if the user is no longer active."""
        ...

    async def members(self, org_id: str) -> list[User]: ...


class OrganizationRepository(Protocol):
    async def get(self, org_id: str) -> Organization | None: ...

    async def add(self, organization: Organization) -> None:
        """Raises OrganizationExists when the id is taken."""
        ...


class SessionRepository(Protocol):
    async def get(self, session_id: str) -> Session | None: ...

    async def add(self, session: Session) -> None: ...

    async def save(self, session: Session, expected_version: int) -> bool:
        """False when the session changed since it was read (a concurrent refresh)."""
        ...

    async def revoke(self, session_id: str, because: str, now: datetime) -> None:
        """Ends the session whatever else is writing it (no version check): a revocation is
        never lost to a concurrent refresh."""
        ...

    async def revoke_all_of(self, user_id: str, because: str, now: datetime) -> int: ...


class InvitationRepository(Protocol):
    async def add(self, invitation: Invitation) -> None: ...

    async def get(self, invitation_id: str) -> Invitation | None: ...

    async def use(self, invitation_id: str, now: datetime) -> bool:
        """Marks it used, once: False if it was already (two acceptances at once)."""
        ...


class ApiClientRepository(Protocol):
    async def add(self, client: ApiClient) -> None: ...

    async def get(self, client_id: str) -> ApiClient | None: ...

    async def of_organization(self, org_id: str) -> list[ApiClient]: ...

    async def revoke(self, client_id: str, now: datetime) -> None: ...

    async def used(self, client_id: str, now: datetime) -> None: ...


class KeyRing(Protocol):
    async def all(self) -> list[SigningKey]: ...

    async def add(self, key: SigningKey) -> None: ...

    async def retire(self, kids: list[str], now: datetime) -> None: ...


class KeyFactory(Protocol):
    def new_key(self, now: datetime) -> SigningKey: ...


class PasswordHasher(Protocol):
    """Slow on purpose (argon2id): the adapter runs it off the event loop."""

    async def hash(self, password: str) -> str: ...

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """False for None too, after as much work as a real check: whether an account exists
        must not show in how long a sign-in takes."""
        ...

    def needs_rehash(self, password_hash: str) -> bool: ...


class AttemptLog(Protocol):
    async def get(self, key: str) -> Attempts: ...

    async def count(self, key: str, now: datetime) -> Attempts:
        """Counts one more failure, atomically (concurrent attempts each count), and returns
        the run as it was before this one (a run forgotten by now starts again)."""
        ...

    async def clear(self, key: str) -> None: ...
