"""What the accounts handlers need from the world, as Protocols; the adapters implement them
over MongoDB, argon2 and Ed25519, the fakes in tests/fakes/accounts.py in memory."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from services.accounts.domain.attempts import Attempts
from services.accounts.domain.keys import SigningKey
from services.accounts.domain.model import Organization, User
from services.accounts.domain.sessions import Session


class UserRepository(Protocol):
    async def get(self, user_id: str) -> User | None: ...

    async def by_email(self, email: str) -> User | None:
        """`email` normalized (`normalize_email`)."""
        ...

    async def add(self, user: User) -> None:
        """Raises EmailTaken when the address is someone's already."""
        ...

    async def save(self, user: User) -> None: ...


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

    async def revoke_all_of(self, user_id: str, because: str, now: datetime) -> int: ...


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

    async def save(self, attempts: Attempts) -> None: ...

    async def clear(self, key: str) -> None: ...
