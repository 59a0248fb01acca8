"""Kafka as platform teams run it (issue 18, acceptance 3 and 4): a cluster reached over TLS with
SCRAM credentials, and topics provisioned by the platform rather than by the services.

The secured cluster is a second local broker with a SASL_SSL listener and a certificate authority
made for the run (`tests.support.secured_kafka`); the contacts service is started against it
exactly as in production, from settings.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.cli import main
from services.contacts.bootstrap import build_contacts_service
from shared.contracts.envelope import wrap
from shared.contracts.topics import ALL_TOPICS, CONTACTS, GROUPS
from shared.kafka.security import KafkaUnreachable
from shared.kafka.topics import MissingTopics, ensure_topics, topic_names
from shared.settings import ServiceSettings
from tests.conftest import TokenFactory
from tests.support.contacts_api import phones
from tests.support.events import group_created
from tests.support.eventually import eventually
from tests.support.infra import delete_topics, drop_databases
from tests.support.kafka import TopicTail, produce
from tests.support.secured_kafka import PASSWORD, USER, SecuredBroker, secured_broker


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecuredBroker]:
    with secured_broker(tmp_path_factory.mktemp("secured-kafka")) as started:
        yield started


def _variant(settings: ServiceSettings, **changes: Any) -> ServiceSettings:
    """The run's settings with `changes`, validated as the environment would be."""
    return ServiceSettings(**{**settings.model_dump(), **changes})


def _secured(settings: ServiceSettings, broker: SecuredBroker, password: str) -> ServiceSettings:
    return _variant(
        settings,
        kafka_bootstrap=broker.bootstrap,
        kafka_security_protocol="SASL_SSL",
        kafka_ssl_cafile=str(broker.ca_file),
        kafka_sasl_mechanism="SCRAM-SHA-256",
        kafka_sasl_username=USER,
        kafka_sasl_password=password,
        kafka_topic_prefix=f"sec{uuid.uuid4().hex[:6]}.",
        mongodb_db_prefix=f"{settings.mongodb_db_prefix}sec_",
    )


@asynccontextmanager
async def contacts_running(settings: ServiceSettings) -> AsyncIterator[httpx.AsyncClient]:
    service = build_contacts_service(settings)
    async with service.app.router.lifespan_context(service.app):
        transport = httpx.ASGITransport(app=service.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://contacts") as client:
            yield client


async def test_contacts_publishes_and_consumes_over_sasl_ssl(
    settings: ServiceSettings, broker: SecuredBroker, auth: TokenFactory, org: str
) -> None:
    secured = _secured(settings, broker, PASSWORD)
    options = secured.kafka_security().options()
    headers = auth(org)
    try:
        await _publishes_and_consumes(secured, broker, options, headers, org)
    finally:
        await drop_databases(secured.mongodb_url, secured.mongodb_db_prefix)


async def _publishes_and_consumes(
    secured: ServiceSettings,
    broker: SecuredBroker,
    options: dict[str, Any],
    headers: dict[str, str],
    org: str,
) -> None:
    async with contacts_running(secured) as client:
        contacts_topic = secured.kafka_topic_prefix + CONTACTS.name
        async with TopicTail(broker.bootstrap, contacts_topic, **options) as tail:
            [phone] = phones(1)
            created = await client.post(
                "/v1/contacts", json={"phone": phone, "name": "Over TLS"}, headers=headers
            )
            assert created.status_code == 201, created.text
            contact_id = created.json()["id"]
            [event] = await tail.wait_for(
                lambda e: (
                    e.get("type", "").endswith("ContactCreated") and e.get("subject") == contact_id
                )
            )
            assert event["data"]["phone"] == phone

        # Consumed over SASL_SSL: a group announced on the secured cluster becomes queryable.
        group = wrap(
            group_created("g-secured", "Secured group"),
            source="roster/groups",
            subject="g-secured",
            org_id=org,
            sequence=1,
        )
        await produce(
            broker.bootstrap,
            secured.kafka_topic_prefix + GROUPS.name,
            [(b"g-secured", group.model_dump_json().encode())],
            **options,
        )

        async def parse() -> httpx.Response:
            body = {"query": 'group = "Secured group"'}
            return await client.post("/v1/contacts/query/parse", json=body, headers=headers)

        parsed = await eventually(parse, lambda r: r.status_code == 200)
        assert parsed.json()["groups"] == ["g-secured"]


async def test_a_wrong_password_stops_the_service_at_once_and_says_why(
    settings: ServiceSettings, broker: SecuredBroker
) -> None:
    began = time.monotonic()
    with pytest.raises(KafkaUnreachable) as refused:
        async with contacts_running(_secured(settings, broker, "not-the-password")):
            pass
    message = str(refused.value)
    assert time.monotonic() - began < 30
    assert broker.bootstrap in message and repr(USER) in message
    assert "SaslAuthenticationFailed" in message or "invalid credentials" in message, message
    assert "not-the-password" not in message


async def test_without_topic_creation_a_missing_topic_is_named_and_provisioned_topics_run(
    settings: ServiceSettings, auth: TokenFactory, org: str
) -> None:
    # Its own topics and databases: nothing shared with the run's other services.
    provisioned = _variant(
        settings,
        kafka_create_topics=False,
        kafka_topic_prefix=f"prov{uuid.uuid4().hex[:6]}.",
        mongodb_db_prefix=f"{settings.mongodb_db_prefix}prov_",
    )
    prefix = provisioned.kafka_topic_prefix
    try:
        with pytest.raises(MissingTopics) as missing:
            async with contacts_running(provisioned):
                pass
        assert set(missing.value.missing) == set(topic_names(ALL_TOPICS, prefix))
        assert f"{prefix}roster.contacts" in str(missing.value)

        # The platform provisions every topic but one: that one is named.
        await ensure_topics(
            provisioned.kafka_bootstrap,
            [spec for spec in ALL_TOPICS if spec is not GROUPS],
            partitions=2,
            replication_factor=1,
            prefix=prefix,
        )
        with pytest.raises(MissingTopics) as one_missing:
            async with contacts_running(provisioned):
                pass
        assert set(one_missing.value.missing) == set(topic_names([GROUPS], prefix))

        await ensure_topics(
            provisioned.kafka_bootstrap, [GROUPS], partitions=2, replication_factor=1, prefix=prefix
        )
        async with contacts_running(provisioned) as client:
            [phone] = phones(1)
            response = await client.post(
                "/v1/contacts", json={"phone": phone, "name": "P"}, headers=auth(org)
            )
            assert response.status_code == 201, response.text
    finally:
        await delete_topics(provisioned.kafka_bootstrap, prefix)
        await drop_databases(provisioned.mongodb_url, provisioned.mongodb_db_prefix)


def test_incomplete_kafka_security_settings_are_refused(settings: ServiceSettings) -> None:
    with pytest.raises(ValueError, match="ROSTER_KAFKA_SASL_MECHANISM"):
        _variant(settings, kafka_security_protocol="SASL_SSL")
    with pytest.raises(ValueError, match="does not use TLS"):
        _variant(settings, kafka_ssl_cafile=str(Path("/etc/ssl/ca.pem")))


async def test_with_kafka_gone_reads_stay_in_service_and_readyz_says_kafka_is_down(
    settings: ServiceSettings, broker: SecuredBroker, auth: TokenFactory, org: str
) -> None:
    """The last test to use the secured broker: it stops it. Readiness means "can serve its
    reads" (the store); Kafka's outage shows in `/readyz`'s checks and `roster_dependency_up`,
    and liveness stays green while the consumer's supervision and the relay run."""
    secured = _secured(settings, broker, PASSWORD)
    headers = auth(org)
    try:
        async with contacts_running(secured) as client:
            ready = await client.get("/readyz")
            assert ready.json()["checks"] == {"mongodb": True, "kafka": True}
            await asyncio.to_thread(broker.stop)

            async def readiness() -> httpx.Response:
                return await client.get("/readyz")

            down = await eventually(readiness, lambda r: r.json()["degraded"] == ["kafka"])
            assert down.status_code == 200
            assert down.json()["checks"] == {"mongodb": True, "kafka": False}
            metrics = (await client.get("/metrics")).text
            assert 'roster_dependency_up{dependency="kafka",service="contacts"} 0.0' in metrics
            health = await client.get("/healthz")
            assert health.status_code == 200, health.text
            listed = await client.get("/v1/contacts", headers=headers)
            assert listed.status_code == 200, listed.text
    finally:
        await drop_databases(secured.mongodb_url, secured.mongodb_db_prefix)


async def test_the_topics_command_provisions_and_checks_every_topic(
    settings: ServiceSettings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`roster topics create|check`, what the Helm chart's Job runs, from the environment."""
    prefix = f"cli{uuid.uuid4().hex[:6]}."
    monkeypatch.setenv("ROSTER_KAFKA_BOOTSTRAP", settings.kafka_bootstrap)
    monkeypatch.setenv("ROSTER_KAFKA_TOPIC_PREFIX", prefix)
    monkeypatch.setenv("ROSTER_KAFKA_PARTITIONS", "1")
    try:
        assert await asyncio.to_thread(main, ["topics", "check"]) == 1
        assert f"{prefix}roster.contacts.dlq" in capsys.readouterr().err
        assert await asyncio.to_thread(main, ["topics", "create"]) == 0
        created = capsys.readouterr().out.strip().splitlines()[-1]
        assert created.startswith(f"{len(topic_names(ALL_TOPICS))} topic(s) created")
        assert await asyncio.to_thread(main, ["topics", "check"]) == 0
        assert await asyncio.to_thread(main, ["topics", "create"]) == 0
        assert capsys.readouterr().out.splitlines()[-1] == "0 topic(s) created"
    finally:
        await delete_topics(settings.kafka_bootstrap, prefix)
