"""The process dies after the contact is stored and before its event is published; after a
restart the event is published, exactly once."""

from __future__ import annotations

import signal

import httpx
from pymongo import AsyncMongoClient

from tests.conftest import TokenFactory
from tests.support.kafka import TopicTail
from tests.support.process import ServiceProcess


async def test_event_survives_a_kill_between_write_and_publish(
    contacts_process: ServiceProcess, auth: TokenFactory, org: str
) -> None:
    env = contacts_process.env
    contacts_process.start(extra_env={"ROSTER_FAULT_POINT": "outbox.before_publish"})
    phone = "+254733123456"
    async with TopicTail(
        env["ROSTER_KAFKA_BOOTSTRAP"], env["ROSTER_KAFKA_TOPIC_PREFIX"] + "roster.contacts"
    ) as tail:
        # The relay kills the process (SIGKILL) as soon as it is about to publish; the HTTP
        # answer may or may not make it out first, so the test looks at the store instead.
        try:
            async with httpx.AsyncClient(base_url=contacts_process.url) as http:
                await http.post("/v1/contacts", json={"phone": phone}, headers=auth(org))
        except httpx.HTTPError:
            pass
        assert contacts_process.wait_exit() == -signal.SIGKILL

        mongo: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(env["ROSTER_MONGODB_URL"])
        try:
            db = mongo[env["ROSTER_MONGODB_DB_PREFIX"] + "contacts"]
            stored = await db["contacts"].find_one({"org_id": org, "phone": phone})
        finally:
            await mongo.close()
        assert stored is not None, "the write happened before the crash"
        assert len(stored["outbox"]) == 1, "the event waits in the outbox"
        await tail.drain(1.0)
        assert not [e for e in tail.envelopes() if e["subject"] == stored["_id"]]

        contacts_process.start()  # no fault this time
        published = await tail.wait_for(lambda e: e["subject"] == stored["_id"], timeout_s=30)
        await tail.drain(2.0)  # anything published twice would arrive by now
        published = [e for e in tail.envelopes() if e["subject"] == stored["_id"]]

    assert len(published) == 1
    assert published[0]["type"] == "org.roster.ContactCreated"
    assert published[0]["id"] == stored["outbox"][0]["id"]
