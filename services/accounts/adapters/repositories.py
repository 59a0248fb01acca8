"""Users (with their roles per organisation), organisations, sessions and sign-in attempts in
the accounts service's database. A user's roles live on the user's document: one write changes
them, and signing in reads one document."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.accounts.domain.attempts import Attempts
from services.accounts.domain.errors import EmailTaken, OrganizationExists
from services.accounts.domain.model import Organization, User
from services.accounts.domain.sessions import Session
from shared.auth import Role
from shared.mongo.client import Document, ensure_indexes


class MongoUsers:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._users = db["users"]

    async def create_indexes(self) -> None:
        await ensure_indexes(
            self._users, [IndexModel([("email", ASCENDING)], name="email", unique=True)]
        )

    async def get(self, user_id: str) -> User | None:
        doc = await self._users.find_one({"_id": user_id})
        return _user(doc) if doc else None

    async def by_email(self, email: str) -> User | None:
        doc = await self._users.find_one({"email": email})
        return _user(doc) if doc else None

    async def add(self, user: User) -> None:
        try:
            await self._users.insert_one({"_id": user.id, **_user_state(user)})
        except DuplicateKeyError as exc:
            raise EmailTaken("the email belongs to another user", email=user.email) from exc

    async def save(self, user: User) -> None:
        user.version += 1
        await self._users.update_one({"_id": user.id}, {"$set": _user_state(user)})


def _user_state(user: User) -> Document:
    state = asdict(user)
    state.pop("id")
    state["roles"] = {org: role.value for org, role in user.roles.items()}
    return state


def _user(doc: Document) -> User:
    data = {k: v for k, v in doc.items() if k != "_id"}
    data["roles"] = {org: Role(role) for org, role in (data.get("roles") or {}).items()}
    return User(id=doc["_id"], **data)


class MongoOrganizations:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._organizations = db["organizations"]

    async def get(self, org_id: str) -> Organization | None:
        doc = await self._organizations.find_one({"_id": org_id})
        if doc is None:
            return None
        return Organization(id=doc["_id"], name=doc["name"], created_at=doc["created_at"])

    async def add(self, organization: Organization) -> None:
        try:
            await self._organizations.insert_one(
                {
                    "_id": organization.id,
                    "name": organization.name,
                    "created_at": organization.created_at,
                }
            )
        except DuplicateKeyError as exc:
            raise OrganizationExists(
                f"the organisation {organization.id} exists", org_id=organization.id
            ) from exc


class MongoSessions:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._sessions = db["sessions"]

    async def create_indexes(self) -> None:
        await ensure_indexes(self._sessions, [IndexModel([("user_id", ASCENDING)], name="user")])

    async def get(self, session_id: str) -> Session | None:
        doc = await self._sessions.find_one({"_id": session_id})
        if doc is None:
            return None
        data = {k: v for k, v in doc.items() if k != "_id"}
        data["role"] = Role(data["role"])
        return Session(id=doc["_id"], **data)

    async def add(self, session: Session) -> None:
        await self._sessions.insert_one({"_id": session.id, **_session_state(session)})

    async def save(self, session: Session, expected_version: int) -> bool:
        session.version = expected_version + 1
        result = await self._sessions.update_one(
            {"_id": session.id, "version": expected_version}, {"$set": _session_state(session)}
        )
        return result.matched_count == 1

    async def revoke_all_of(self, user_id: str, because: str, now: datetime) -> int:
        result = await self._sessions.update_many(
            {"user_id": user_id, "revoked_at": None},
            {"$set": {"revoked_at": now, "revoked_because": because}, "$inc": {"version": 1}},
        )
        return result.modified_count


def _session_state(session: Session) -> Document:
    state = asdict(session)
    state.pop("id")
    state["role"] = session.role.value
    return state


class MongoAttempts:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._attempts = db["sign_in_attempts"]

    async def get(self, key: str) -> Attempts:
        doc = await self._attempts.find_one({"_id": key})
        if doc is None:
            return Attempts(key=key)
        return Attempts(
            key=key,
            failures=int(doc.get("failures", 0)),
            blocked_until=doc.get("blocked_until"),
            last_failure_at=doc.get("last_failure_at"),
        )

    async def save(self, attempts: Attempts) -> None:
        state: dict[str, Any] = asdict(attempts)
        state.pop("key")
        await self._attempts.replace_one({"_id": attempts.key}, state, upsert=True)

    async def clear(self, key: str) -> None:
        await self._attempts.delete_one({"_id": key})
