"""`roster reconcile groups`: drift between the two services' views is found, and repaired by
announcing memberships again; member counts are recounted."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from services.contacts.bootstrap import ContactsService
from services.groups.bootstrap import GroupsService
from services.groups.entrypoints.reconcile import reconcile
from tests.conftest import TokenFactory
from tests.support.contacts_api import create, phones
from tests.support.eventually import eventually
from tests.support.groups_api import (
    add_members,
    change_by_query,
    create_group,
    known_to_groups,
    member_ids,
)


@pytest.fixture
async def as_admin(
    contacts_service: ContactsService,
    groups_service: GroupsService,
    auth: TokenFactory,
    org: str,
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """Both services' clients with the organisation's admin token, as the CLI uses them."""
    headers = auth(org)
    contacts = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=contacts_service.app),
        base_url="http://c",
        headers=headers,
    )
    groups = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=groups_service.app), base_url="http://g", headers=headers
    )
    async with contacts, groups:
        yield groups, contacts


async def test_drift_is_reported_then_repaired(
    client: httpx.AsyncClient,
    groups_client: httpx.AsyncClient,
    groups_service: GroupsService,
    contacts_service: ContactsService,
    as_admin: tuple[httpx.AsyncClient, httpx.AsyncClient],
    auth: TokenFactory,
    org: str,
) -> None:
    headers = auth(org)
    groups, contacts = as_admin
    ids = [(await create(client, headers, phone=p))["id"] for p in phones(3)]
    await known_to_groups(groups_client, headers, ids)
    group = await create_group(groups_client, headers, "Drifting")
    await add_members(groups_client, headers, group["id"], ids[:2])
    await eventually(lambda: member_ids(groups_client, headers, group["id"]), lambda m: len(m) == 2)

    async def clean() -> int:
        return (await reconcile(groups, contacts, settle_s=0.2, fix=False)).total

    await eventually(clean, lambda drift: drift == 0)

    # Drift on the contacts side, as if an announcement had been lost the other way round: the
    # contacts service shows the third contact in the group.
    await contacts_service.uow.contacts.collection.update_one(
        {"_id": ids[2]}, {"$addToSet": {"groups": group["id"]}}
    )

    async def contact_groups() -> list[str]:
        return list((await client.get(f"/v1/contacts/{ids[2]}", headers=headers)).json()["groups"])

    await eventually(contact_groups, lambda g: g == [group["id"]])
    # Drift in the count: the stored member_count is wrong.
    applied = await groups_service.uow.groups.applied_seq(group["id"])
    assert await groups_service.uow.groups.set_member_count(group["id"], 7, applied)

    found = await reconcile(groups, contacts, settle_s=0.2, fix=False)
    assert found.extra_in_contacts == {group["id"]: {ids[2]}}
    assert found.counts == {group["id"]: (7, 2)}
    assert found.missing_in_contacts == {}
    assert found.report()["drift"] == 2

    repaired = await reconcile(groups, contacts, settle_s=0.2, fix=True)
    assert repaired.total == 2
    await eventually(contact_groups, lambda g: g == [])
    await eventually(clean, lambda drift: drift == 0)
    fetched = (await groups_client.get(f"/v1/groups/{group['id']}", headers=headers)).json()
    assert fetched["member_count"] == 2


async def test_members_by_query_added_and_removed(
    client: httpx.AsyncClient, groups_client: httpx.AsyncClient, auth: TokenFactory, org: str
) -> None:
    headers = auth(org)
    kano = [(await create(client, headers, phone=p, category="Kano"))["id"] for p in phones(3)]
    other = (await create(client, headers, phone=phones(1)[0], category="Lagos"))["id"]
    await known_to_groups(groups_client, headers, [*kano, other])
    group = await create_group(groups_client, headers, "Kano people")
    added = await change_by_query(groups_client, headers, group["id"], "category = kano", add=True)
    assert (added["status"], added["matched"], added["changed"]) == ("completed", 3, 3)
    assert added["query"] == "category = kano" and added["error"] is None
    await eventually(
        lambda: member_ids(groups_client, headers, group["id"]), lambda m: m == set(kano)
    )
    again = await change_by_query(groups_client, headers, group["id"], "category = kano", add=True)
    assert (again["status"], again["matched"], again["changed"]) == ("completed", 3, 0)

    removed = await change_by_query(
        groups_client, headers, group["id"], f"id = {kano[0]} OR category = lagos", add=False
    )
    assert (removed["action"], removed["matched"], removed["changed"]) == ("remove", 2, 1)
    await eventually(
        lambda: member_ids(groups_client, headers, group["id"]), lambda m: m == set(kano[1:])
    )
    elsewhere = await create_group(groups_client, headers, "Elsewhere")
    for path in (
        f"/v1/groups/{elsewhere['id']}/member-changes/{removed['id']}",
        f"/v1/groups/{group['id']}/member-changes/no-such-change",
    ):
        missing = await groups_client.get(path, headers=headers)
        assert missing.status_code == 404, missing.text

    bad = await groups_client.post(
        f"/v1/groups/{group['id']}/members", json={"query": "age >"}, headers=headers
    )
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "syntax"
    both = await groups_client.post(
        f"/v1/groups/{group['id']}/members",
        json={"query": "category = kano", "contact_ids": [other]},
        headers=headers,
    )
    assert both.status_code == 422 and both.json()["error"]["code"] == "invalid_group"
