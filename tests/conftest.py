"""Fixtures for the whole suite: real infrastructure, settings, an in-process contacts service."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest

from services.accounts.bootstrap import AccountsService, build_accounts_service
from services.contacts.bootstrap import ContactsService, build_contacts_service
from services.dispatcher.bootstrap import DispatcherService, build_dispatcher_service
from services.flows.bootstrap import FlowsService, build_flows_service
from services.groups.bootstrap import GroupsService, build_groups_service
from services.importer.bootstrap import ImporterService, build_importer_service
from shared.auth import Role, TokenCodec
from shared.settings import ServiceSettings
from tests.support.helm_build import HelmBuild
from tests.support.infra import Endpoints, delete_topics, drop_databases, real_infrastructure

RUN_ID = uuid.uuid4().hex[:8]
HELM_BUILD = pytest.StashKey[HelmBuild]()


def pytest_collection_finish(session: pytest.Session) -> None:
    """Starts building Helm in the background when the chart's tests are to run (see
    `tests.support.helm_build`)."""
    if any("tests/chart/" in item.nodeid for item in session.items):
        build = HelmBuild(Path(tempfile.gettempdir()) / f"roster-helm-build-{RUN_ID}.log")
        build.start()
        session.stash[HELM_BUILD] = build


@pytest.fixture(scope="session")
def helm(request: pytest.FixtureRequest) -> Path:
    """The helm binary (built from the Go module proxy into .cache/bin)."""
    build = request.session.stash.get(HELM_BUILD, None)
    if build is None:  # the chart's tests run alone
        build = HelmBuild(Path(tempfile.gettempdir()) / f"roster-helm-build-{RUN_ID}.log")
    return build.binary()


@pytest.fixture(scope="session")
def endpoints() -> Iterator[Endpoints]:
    with real_infrastructure() as found:
        yield found


@pytest.fixture(scope="session")
async def settings(endpoints: Endpoints) -> AsyncIterator[ServiceSettings]:
    """Isolated from any running stack: own databases, consumer groups and topics per test
    run; the run's topics are deleted once everything that used them has stopped."""
    run_settings = ServiceSettings(
        env="test",
        kafka_bootstrap=endpoints.kafka_bootstrap,
        mongodb_url=endpoints.mongodb_url,
        mongodb_db_prefix=f"rt{RUN_ID}_",
        kafka_consumer_group_prefix=f"test-{RUN_ID}.",
        # Own topics too: no other run's events to read through.
        kafka_topic_prefix=f"t{RUN_ID}.",
        outbox_poll_interval_s=0.05,
        log_json=True,
        import_dir=tempfile.mkdtemp(prefix=f"roster-imports-{RUN_ID}-"),
    )
    yield run_settings
    await delete_topics(endpoints.kafka_bootstrap, run_settings.kafka_topic_prefix)


@pytest.fixture(scope="session")
def token_codec(settings: ServiceSettings) -> TokenCodec:
    return TokenCodec(settings.jwt_signing_key, settings.jwt_issuer, settings.jwt_audience)


TokenFactory = Callable[..., dict[str, str]]


@pytest.fixture(scope="session")
def auth(token_codec: TokenCodec) -> TokenFactory:
    """`auth(org, role="admin")` → request headers with a valid bearer token."""

    def headers(org: str, role: str = "admin", user: str = "tester") -> dict[str, str]:
        return {"Authorization": "Bearer " + token_codec.issue(org, Role(role), user)}

    return headers


@pytest.fixture
def org() -> str:
    return f"org-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
async def contacts_service(settings: ServiceSettings) -> AsyncIterator[ContactsService]:
    service = build_contacts_service(settings)
    async with service.app.router.lifespan_context(service.app):
        yield service
    await drop_databases(settings.mongodb_url, settings.mongodb_db_prefix)


@pytest.fixture(scope="session")
async def client(contacts_service: ContactsService) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=contacts_service.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://contacts") as http:
        yield http


@pytest.fixture(scope="session")
async def groups_service(
    settings: ServiceSettings, contacts_service: ContactsService
) -> AsyncIterator[GroupsService]:
    """Started after the contacts service, whose databases it shares the prefix of."""
    service = build_groups_service(settings)
    async with service.app.router.lifespan_context(service.app):
        yield service


@pytest.fixture(scope="session")
async def groups_client(groups_service: GroupsService) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=groups_service.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://groups") as http:
        yield http


@pytest.fixture(scope="session")
async def importer_service(
    settings: ServiceSettings, groups_service: GroupsService
) -> AsyncIterator[ImporterService]:
    """Needs the contacts and groups services running to answer its commands."""
    service = build_importer_service(settings)
    async with service.app.router.lifespan_context(service.app):
        yield service


@pytest.fixture(scope="session")
async def importer_client(importer_service: ImporterService) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=importer_service.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://importer") as http:
        yield http


@pytest.fixture(scope="session")
async def dispatcher_service(
    settings: ServiceSettings, contacts_service: ContactsService
) -> AsyncIterator[DispatcherService]:
    """Projects the contacts service's events; its database goes with the others'."""
    service = build_dispatcher_service(settings)
    async with service.app.router.lifespan_context(service.app):
        yield service


@pytest.fixture(scope="session")
async def dispatcher_client(
    dispatcher_service: DispatcherService,
) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=dispatcher_service.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://dispatcher") as http:
        yield http


@pytest.fixture(scope="session")
async def accounts_service(settings: ServiceSettings) -> AsyncIterator[AccountsService]:
    """Users and their roles; its membership events reach the groups service over Kafka."""
    service = build_accounts_service(settings)
    async with service.app.router.lifespan_context(service.app):
        yield service


@pytest.fixture(scope="session")
async def flows_service(
    settings: ServiceSettings, dispatcher_service: DispatcherService
) -> AsyncIterator[FlowsService]:
    """Keeps contacts' conversations from the dispatcher's events."""
    service = build_flows_service(settings)
    async with service.app.router.lifespan_context(service.app):
        yield service


@pytest.fixture(scope="session")
async def flows_client(flows_service: FlowsService) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=flows_service.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://flows") as http:
        yield http
