"""Users (with their roles per organisation), organisations, sessions and sign-in attempts in
the accounts service's database. A user's roles live on the user's document: one write changes
them, and signing in reads one document."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from pymongo import ASCENDING, IndexModel, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.accounts.domain.attempts import FORGOTTEN_AFTER, Attempts
from services.accounts.domain.clients import ApiClient
from services.accounts.domain.errors import EmailTaken, OrganizationExists
from services.accounts.domain.invitations import Invitation
from services.accounts.domain.model import Organization, User
from services.accounts.domain.sessions import Session
from shared.auth import Role
from shared.mongo.client import Document, ensure_indexes
from shared.mongo.outbox import OUTBOX, OUTBOX_INDEX, OutboxWakeup, outbox_entry, outbox_update

SOURCE = "roster/accounts"


class MongoUsers:
    """Users with their outbox: a membership change and its event are one document write."""

    def __init__(self, db: AsyncDatabase[Document], wakeup: OutboxWakeup) -> None:
        self.collection = db["users"]
        self._wakeup = wakeup

    async def create_indexes(self) -> None:
        await ensure_indexes(
            self.collection,
            [
                IndexModel([("email", ASCENDING)], name="email", unique=True),
                IndexModel([("orgs", ASCENDING)], name="orgs"),
                OUTBOX_INDEX,
            ],
        )

    async def get(self, user_id: str) -> User | None:
        doc = await self.collection.find_one({"_id": user_id}, {OUTBOX: 0})
        return _user(doc) if doc else None

    async def by_email(self, email: str) -> User | None:
        doc = await self.collection.find_one({"email": email}, {OUTBOX: 0})
        return _user(doc) if doc else None

    async def members(self, org_id: str) -> list[User]:
        docs = await self.collection.find({"orgs": org_id}, {OUTBOX: 0}).to_list()
        return sorted((_user(d) for d in docs), key=lambda u: u.email)

    async def add(self, user: User) -> None:
        entries = _entries(user)
        try:
            await self.collection.insert_one({"_id": user.id, **_user_state(user), OUTBOX: entries})
        except DuplicateKeyError as exc:
            raise EmailTaken("the email belongs to another user", email=user.email) from exc
        user.events.clear()
        self._wakeup.written(self.collection, user.id, entries)

    async def save(self, user: User, expected_version: int) -> bool:
        entries = _entries(user)
        update = outbox_update(entries, _user_state(user))
        result = await self.collection.update_one(
            {"_id": user.id, "version": expected_version}, update
        )
        if result.matched_count == 0:
            return False
        user.events.clear()
        self._wakeup.written(self.collection, user.id, entries)
        return True

    async def record_sign_in(self, user_id: str, at: datetime, password_hash: str | None) -> bool:
        changes: Document = {"last_sign_in_at": at}
        if password_hash is not None:
            changes["password_hash"] = password_hash
        result = await self.collection.update_one(
            {"_id": user_id, "status": "active"}, {"$set": changes}
        )
        return result.matched_count == 1


def _entries(user: User) -> list[Document]:
    """Each event with the version it brought the user to (consumers drop what is older than
    what they applied)."""
    first = user.version - len(user.events) + 1
    return [
        outbox_entry(payload, source=SOURCE, subject=user.id, org_id=org_id, sequence=first + n)
        for n, (org_id, payload) in enumerate(user.events)
    ]


def _user_state(user: User) -> Document:
    state = asdict(user)
    for transient in ("id", "events"):
        state.pop(transient)
    # A list, not a map by organisation: an organisation id may hold a '.', which a document's
    # field name may not (FerretDB refuses it).
    state["roles"] = [{"org": org, "role": role.value} for org, role in sorted(user.roles.items())]
    state["orgs"] = sorted(user.roles)  # indexed: an organisation's members
    return state


def _user(doc: Document) -> User:
    data = {k: v for k, v in doc.items() if k not in ("_id", "orgs", OUTBOX)}
    data["roles"] = {r["org"]: Role(r["role"]) for r in data.get("roles") or []}
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

    async def revoke(self, session_id: str, because: str, now: datetime) -> None:
        await self._sessions.update_one(
            {"_id": session_id, "revoked_at": None},
            {"$set": {"revoked_at": now, "revoked_because": because}, "$inc": {"version": 1}},
        )

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
    """Failed sign-in attempts, counted with `$inc` so that concurrent attempts each count."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._attempts = db["sign_in_attempts"]

    async def get(self, key: str) -> Attempts:
        return _attempts(key, await self._attempts.find_one({"_id": key}))

    async def count(self, key: str, now: datetime) -> Attempts:
        # A run over (nothing added for FORGOTTEN_AFTER) starts again from nothing.
        await self._attempts.update_one(
            {"_id": key, "last_failure_at": {"$lt": now - FORGOTTEN_AFTER}},
            {"$set": {"failures": 0}},
        )
        before = await self._attempts.find_one_and_update(
            {"_id": key},
            {"$inc": {"failures": 1}, "$set": {"last_failure_at": now}},
            upsert=True,
            return_document=ReturnDocument.BEFORE,
        )
        return _attempts(key, before)

    async def clear(self, key: str) -> None:
        await self._attempts.delete_one({"_id": key})


def _attempts(key: str, doc: Document | None) -> Attempts:
    if doc is None:
        return Attempts(key=key)
    return Attempts(
        key=key, failures=int(doc.get("failures", 0)), last_failure_at=doc.get("last_failure_at")
    )


class MongoInvitations:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._invitations = db["invitations"]

    async def add(self, invitation: Invitation) -> None:
        state = asdict(invitation)
        state.pop("id")
        await self._invitations.insert_one({"_id": invitation.id, **state})

    async def get(self, invitation_id: str) -> Invitation | None:
        doc = await self._invitations.find_one({"_id": invitation_id})
        if doc is None:
            return None
        return Invitation(id=doc["_id"], **{k: v for k, v in doc.items() if k != "_id"})

    async def use(self, invitation_id: str, now: datetime) -> bool:
        result = await self._invitations.update_one(
            {"_id": invitation_id, "used_at": None}, {"$set": {"used_at": now}}
        )
        return result.matched_count == 1


class MongoApiClients:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._clients = db["api_clients"]

    async def create_indexes(self) -> None:
        await ensure_indexes(self._clients, [IndexModel([("org_id", ASCENDING)], name="org")])

    async def add(self, client: ApiClient) -> None:
        state = asdict(client)
        state.pop("id")
        state["role"] = client.role.value
        await self._clients.insert_one({"_id": client.id, **state})

    async def get(self, client_id: str) -> ApiClient | None:
        doc = await self._clients.find_one({"_id": client_id})
        return _client(doc) if doc else None

    async def of_organization(self, org_id: str) -> list[ApiClient]:
        docs = await self._clients.find({"org_id": org_id}).to_list()
        return sorted((_client(d) for d in docs), key=lambda c: c.created_at)

    async def revoke(self, client_id: str, now: datetime) -> None:
        await self._clients.update_one(
            {"_id": client_id, "revoked_at": None}, {"$set": {"revoked_at": now}}
        )

    async def used(self, client_id: str, now: datetime) -> None:
        await self._clients.update_one({"_id": client_id}, {"$set": {"last_used_at": now}})


def _client(doc: Document) -> ApiClient:
    data = {k: v for k, v in doc.items() if k != "_id"}
    data["role"] = Role(data["role"])
    return ApiClient(id=doc["_id"], **data)
