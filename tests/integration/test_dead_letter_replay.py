"""`roster dlq replay`: what a service's consumer set aside goes back to the topic it came from,
once; other services' dead letters stay where they are (issue 18, operations: replaying a
dead-letter topic)."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest

from services.cli import main
from shared.contracts.envelope import wrap
from shared.contracts.topics import GROUPS
from shared.kafka.replay import replay_dead_letters
from shared.kafka.topics import ensure_topics
from shared.settings import ServiceSettings
from tests.support.events import group_created
from tests.support.infra import delete_topics
from tests.support.kafka import TopicTail, produce


def _dead_letter(
    group: str, org: str, consumer_group: str
) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    envelope = wrap(group_created(group, f"Group {group}"), source="roster/groups",
                    subject=group, org_id=org, sequence=1)  # fmt: skip
    headers = [
        ("ce_type", b"GroupCreated"),
        ("dlq_original_topic", b"x"),
        ("dlq_consumer_group", consumer_group.encode()),
        ("dlq_error", b"RuntimeError('store down')"),
    ]
    return group.encode(), envelope.model_dump_json().encode(), headers


async def test_a_services_dead_letters_go_back_once_and_others_stay(
    settings: ServiceSettings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    prefix = f"dlq{uuid.uuid4().hex[:6]}."
    topic = prefix + GROUPS.name
    org = f"org-{uuid.uuid4().hex[:8]}"
    await ensure_topics(settings.kafka_bootstrap, [GROUPS], partitions=2, replication_factor=1,
                        prefix=prefix)  # fmt: skip
    contacts_group = settings.consumer_group("contacts")
    mine = _dead_letter("g-mine", org, contacts_group)
    theirs = _dead_letter("g-theirs", org, settings.consumer_group("flows"))
    try:
        await produce(settings.kafka_bootstrap, topic + ".dlq", [mine, theirs])

        dry = await replay_dead_letters(
            settings.kafka_bootstrap, topic, contacts_group, dry_run=True
        )
        assert (dry.replayed, dry.skipped) == (1, 1)
        assert dry.by_error == {"RuntimeError('store down')": 1}

        monkeypatch.setenv("ROSTER_KAFKA_BOOTSTRAP", settings.kafka_bootstrap)
        monkeypatch.setenv("ROSTER_KAFKA_TOPIC_PREFIX", prefix)
        monkeypatch.setenv(
            "ROSTER_KAFKA_CONSUMER_GROUP_PREFIX", settings.kafka_consumer_group_prefix
        )
        async with TopicTail(settings.kafka_bootstrap, topic) as tail:
            args = ["dlq", "replay", "--topic", GROUPS.name, "--service", "contacts"]
            assert await asyncio.to_thread(main, args) == 0
            report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
            assert (report["replayed"], report["skipped"]) == (1, 1)
            [back] = await tail.wait_for(lambda e: e.get("subject") == "g-mine")
            assert back["data"]["group_id"] == "g-mine"
            await tail.drain(1.0)
            assert [e.get("subject") for e in tail.envelopes()] == ["g-mine"]
            [record] = tail.records
            names = {name for name, _ in record.headers}
            assert "ce_type" in names and "dlq_replayed_from" in names
            assert not names & {"dlq_error", "dlq_consumer_group", "dlq_original_topic"}

        # Replayed once: the replay's group remembers how far it got.
        again = await replay_dead_letters(settings.kafka_bootstrap, topic, contacts_group)
        assert (again.replayed, again.skipped) == (0, 0)
    finally:
        await delete_topics(settings.kafka_bootstrap, prefix)
