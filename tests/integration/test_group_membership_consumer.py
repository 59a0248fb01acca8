"""The contacts service's Kafka consumer: `contact.groups` follows GroupMembershipChanged events;
redelivered or stale events change nothing; poison events go to the dead-letter topic and the
consumer carries on."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import httpx

from shared.contracts.envelope import wrap
from shared.contracts.groups import GroupMembershipChanged
from shared.settings import ServiceSettings
from tests.conftest import TokenFactory
from tests.support.contacts_api import create
from tests.support.eventually import eventually
from tests.support.kafka import TopicTail, produce


def membership_event(
    org: str,
    group: str,
    seq: int,
    added: Sequence[str] = (),
    removed: Sequence[str] = (),
) -> bytes:
    payload = GroupMembershipChanged(
        group_id=group,
        added=list(added),
        removed=list(removed),
        reason="manual",
        actor="admin:tester",
        changed_at=datetime.now(UTC),
    )
    envelope = wrap(payload, source="roster/groups", subject=group, org_id=org, sequence=seq)
    return envelope.model_dump_json().encode()


async def test_projection_is_idempotent_and_poison_is_dead_lettered(
    client: httpx.AsyncClient, auth: TokenFactory, org: str, settings: ServiceSettings
) -> None:
    headers = auth(org)
    c1 = (await create(client, headers, phone="+254711000001"))["id"]
    c2 = (await create(client, headers, phone="+254711000002"))["id"]
    c3 = (await create(client, headers, phone="+254711000003"))["id"]
    group = str(uuid.uuid4())
    key = group.encode()
    bootstrap = settings.kafka_bootstrap
    topic = settings.kafka_topic_prefix + "roster.groups"
    contacts_group = settings.consumer_group("contacts").encode()

    async def groups_of(contact_id: str) -> tuple[list[str], int]:
        body = (await client.get(f"/v1/contacts/{contact_id}", headers=headers)).json()
        return body["groups"], body["version"]

    first = membership_event(org, group, 1, added=[c1, c2])
    second = membership_event(org, group, 2, removed=[c1])
    await produce(bootstrap, topic, [(key, first), (key, second)])
    await eventually(lambda: groups_of(c1), lambda v: v[0] == [])
    await eventually(lambda: groups_of(c2), lambda v: v[0] == [group])

    # Redelivery of both events, then a later event on the same key as a marker: once the marker
    # is applied, the redelivered events were handled too (same partition, in order).
    marker = membership_event(org, group, 3, added=[c3])
    await produce(bootstrap, topic, [(key, first), (key, second), (key, marker)])
    await eventually(lambda: groups_of(c3), lambda v: v[0] == [group])
    assert await groups_of(c1) == ([], 1), "a stale redelivery must not re-add c1"
    assert await groups_of(c2) == ([group], 1), "projection never bumps the contact's version"

    async with TopicTail(bootstrap, topic + ".dlq") as dlq:
        not_json = b"{this is not json"
        bad_payload = json.loads(membership_event(org, group, 4, added=[c1]))
        bad_payload["data"]["added"] = "not-a-list"
        bad_bytes = json.dumps(bad_payload).encode()
        after = membership_event(org, group, 5, removed=[c3])
        await produce(bootstrap, topic, [(key, not_json), (key, bad_bytes), (key, after)])
        await eventually(lambda: groups_of(c3), lambda v: v[0] == [])  # consumer carried on
        dead = []
        for _ in range(60):
            await dlq.poll()
            # The groups service, when running, dead-letters them too under its own group.
            dead = [
                r
                for r in dlq.records
                if r.value in (not_json, bad_bytes)
                and dict(r.headers)["dlq_consumer_group"] == contacts_group
            ]
            if len(dead) == 2:
                break
    assert sorted(r.value for r in dead) == sorted([not_json, bad_bytes])
    for record in dead:
        headers_of = dict(record.headers)
        assert headers_of["dlq_original_topic"] == topic.encode()
        assert headers_of["dlq_consumer_group"] == settings.consumer_group("contacts").encode()
        assert headers_of["dlq_error"].startswith(b"poison")
        assert record.key == key
    assert await groups_of(c1) == ([], 1), "the poison event changed nothing"
