"""The accounts service's documents on the real store: what its handlers count on when requests
race (each concurrent failed attempt counted, one of two refreshes at one version winning, an
invitation taken up once), and a user's roles kept whatever the organisation's id holds."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from services.accounts.adapters.repositories import (
    MongoAttempts,
    MongoInvitations,
    MongoSessions,
    MongoUsers,
)
from services.accounts.domain.invitations import Invitation
from services.accounts.domain.model import User
from services.accounts.domain.sessions import Session
from shared.auth import Role
from shared.mongo.outbox import OUTBOX, OutboxWakeup
from shared.settings import ServiceSettings
from tests.support.scratch import scratch_database

NOW = datetime.now(UTC).replace(microsecond=0)


async def test_concurrent_writes_race_as_the_handlers_expect(settings: ServiceSettings) -> None:
    async with scratch_database(settings, f"accounts_{uuid.uuid4().hex[:6]}") as (_, db):
        attempts = MongoAttempts(db)
        befores = await asyncio.gather(*(attempts.count("account:a@x.org", NOW) for _ in range(20)))
        assert sorted(b.failures for b in befores) == list(range(20))
        assert (await attempts.get("account:a@x.org")).failures == 20
        # A run not added to for over an hour starts again.
        later = await attempts.count("account:a@x.org", NOW + timedelta(hours=2))
        assert later.failures == 0

        sessions = MongoSessions(db)
        session, _ = Session.start("s1", "u1", "acme", Role.ADMIN, NOW, timedelta(days=1))
        await sessions.add(session)
        first, second = await sessions.get("s1"), await sessions.get("s1")
        assert first is not None and second is not None
        wins = await asyncio.gather(sessions.save(first, 0), sessions.save(second, 0))
        assert sorted(wins) == [False, True]
        await sessions.revoke("s1", "refresh_token_reused", NOW)  # whatever the version
        revoked = await sessions.get("s1")
        assert revoked is not None and revoked.revoked_because == "refresh_token_reused"

        invitations = MongoInvitations(db)
        invitation, _ = Invitation.issue("i1", "u1", "acme", NOW)
        await invitations.add(invitation)
        taken = await asyncio.gather(invitations.use("i1", NOW), invitations.use("i1", NOW))
        assert sorted(taken) == [False, True]


async def test_roles_in_dotted_organisations_and_their_events_are_stored(
    settings: ServiceSettings,
) -> None:
    async with scratch_database(settings, f"accounts_{uuid.uuid4().hex[:6]}") as (_, db):
        users = MongoUsers(db, OutboxWakeup())
        await users.create_indexes()
        user = User(id="u1", email="a@x.org", name="A", password_hash=None, created_at=NOW)
        user.join("acme.corp", Role.STAFF)
        user.join("beta", Role.ADMIN)
        await users.add(user)

        stored = await users.by_email("a@x.org")
        assert stored is not None
        assert stored.roles == {"acme.corp": Role.STAFF, "beta": Role.ADMIN}
        assert [u.id for u in await users.members("acme.corp")] == ["u1"]
        doc = await db["users"].find_one({"_id": "u1"})
        assert doc is not None
        assert [(e["type"], e["key"]) for e in doc[OUTBOX]] == [
            ("org.roster.UserJoinedOrganization", "u1"),
            ("org.roster.UserJoinedOrganization", "u1"),
        ]
        version = stored.version
        stored.join("acme.corp", Role.MANAGER)
        assert await users.save(stored, version)
        assert not await users.save(stored, version)  # read before that change: refused
