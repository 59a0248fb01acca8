"""A script (or the console) that does the obvious thing, create and then use at once, never
fails at random: each service learns of the other's news through Kafka a moment later, and a
request that names what it has not heard of yet waits for it (`shared.catch_up`)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from services.contacts.bootstrap import build_contacts_service
from services.groups.bootstrap import build_groups_service
from shared.settings import ServiceSettings
from tests.conftest import TokenFactory
from tests.support.contacts_api import create, define_field, phones
from tests.support.groups_api import create_group
from tests.support.infra import delete_topics, drop_databases

ROUNDS = 200
# Rounds run in a few lanes side by side (each its own organisations), as several scripts or
# console users would: each round still uses at once what it just created.
LANES = 8
# A fresh organisation every few rounds: each smart group re-checks every new contact of its
# organisation, and an organisation keeps at most 250 groups and 250 fields.
ROUNDS_PER_ORG = 10


@dataclass
class Stack:
    contacts: httpx.AsyncClient
    groups: httpx.AsyncClient


@pytest.fixture(scope="module")
async def stack(settings: ServiceSettings) -> AsyncIterator[Stack]:
    """The contacts and groups services on databases of their own: each smart group created
    here is evaluated over its organisation's contacts, which on the local store means a scan
    of the whole collection, and the rest of the suite's data would make every round pay."""
    run = uuid.uuid4().hex[:8]
    own = settings.model_copy(
        update={
            "mongodb_db_prefix": f"ryw{run}_",
            "kafka_topic_prefix": f"ryw{run}.",
            "kafka_consumer_group_prefix": f"ryw-{run}.",
        }
    )
    contacts, groups = build_contacts_service(own), build_groups_service(own)
    async with (
        contacts.app.router.lifespan_context(contacts.app),
        groups.app.router.lifespan_context(groups.app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=contacts.app), base_url="http://contacts"
        ) as contacts_client,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=groups.app), base_url="http://groups"
        ) as groups_client,
    ):
        yield Stack(contacts_client, groups_client)
    await drop_databases(own.mongodb_url, own.mongodb_db_prefix)
    await delete_topics(own.kafka_bootstrap, own.kafka_topic_prefix)


@dataclass
class Round:
    """One round of creating something in one service and using it at once in the other."""

    contacts: httpx.AsyncClient
    groups: httpx.AsyncClient
    headers: dict[str, str]
    members_group: str
    tag: str
    refusals: list[str]

    async def contact_joins_a_group(self, phone: str) -> None:
        contact = await create(self.contacts, self.headers, phone=phone)
        response = await self.groups.post(
            f"/v1/groups/{self.members_group}/members",
            json={"contact_ids": [contact["id"]]},
            headers=self.headers,
        )
        body = response.json()
        if response.status_code != 200 or body["added"] != 1:
            self.refusals.append(f"{self.tag} member: {response.status_code} {body}")

    async def field_feeds_a_smart_group(self) -> None:
        field = await define_field(self.contacts, self.headers, f"Score {self.tag}", "number")
        response = await self.groups.post(
            "/v1/groups",
            json={"name": f"High {self.tag}", "query": f"{field['key']} > 10"},
            headers=self.headers,
        )
        if response.status_code != 201:
            self.refusals.append(f"{self.tag} smart group: {response.status_code} {response.text}")

    async def group_is_queried_by_name(self) -> None:
        await create_group(self.groups, self.headers, f"Cohort {self.tag}")
        response = await self.contacts.post(
            "/v1/contacts/query/parse",
            json={"query": f'group = "Cohort {self.tag}"'},
            headers=self.headers,
        )
        if response.status_code != 200:
            self.refusals.append(f"{self.tag} query: {response.status_code} {response.text}")


# First: after the loop below, the pipeline's recent lag (seconds under that load) would
# stretch the wait for what never comes towards its maximum.
async def test_what_does_not_exist_is_still_refused_after_a_bounded_wait(
    stack: Stack, auth: TokenFactory, org: str
) -> None:
    client, groups_client = stack.contacts, stack.groups
    headers = auth(org)
    group = await create_group(groups_client, headers, "Only real members")
    started = time.monotonic()
    response = await groups_client.post(
        f"/v1/groups/{group['id']}/members",
        json={"contact_ids": [str(uuid.uuid4())]},
        headers=headers,
    )
    assert response.status_code == 200
    assert response.json()["results"][0]["reason"] == "unknown_contact"
    unknown = await client.get(
        "/v1/contacts", params={"query": 'group = "Never made"'}, headers=headers
    )
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "invalid_group"
    assert time.monotonic() - started < 25  # bounded: ROSTER_CATCH_UP_MAX_S (10 s) each


async def test_what_was_just_created_is_usable_at_once_in_the_other_service(
    stack: Stack, auth: TokenFactory
) -> None:
    client, groups_client = stack.contacts, stack.groups
    numbers = phones(ROUNDS)
    refusals: list[str] = []
    started = time.monotonic()

    async def lane(first: int) -> None:
        """Rounds one after another, each using at once what it just created."""
        for number in range(first, ROUNDS, LANES):
            if (number // LANES) % ROUNDS_PER_ORG == 0:
                headers = auth(f"ryw-{uuid.uuid4().hex[:10]}")
                members = await create_group(groups_client, headers, "Members")
            round_ = Round(client, groups_client, headers, members["id"], f"r{number}", refusals)
            await asyncio.gather(
                round_.contact_joins_a_group(numbers[number]),
                round_.field_feeds_a_smart_group(),
                round_.group_is_queried_by_name(),
            )

    await asyncio.gather(*(lane(first) for first in range(LANES)))
    assert refusals == [], f"{len(refusals)} spurious refusals: {refusals[:5]}"
    print(f"{ROUNDS} rounds in {time.monotonic() - started:.1f}s")
