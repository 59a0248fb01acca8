"""Restricted staff, across both services: a staff token sees exactly the members of the groups
assigned to it; every other group, contact and export answers 404, as if it did not exist."""

from __future__ import annotations

import csv
import functools
import io
import operator
from typing import Any

import httpx

from services.accounts.bootstrap import AccountsService
from tests.conftest import TokenFactory
from tests.support.accounts import staff_members
from tests.support.contacts_api import create, phones
from tests.support.eventually import eventually
from tests.support.groups_api import add_members, create_group, known_to_groups, member_ids


async def contact_groups(client: httpx.AsyncClient, headers: dict[str, str], cid: str) -> list[str]:
    response = await client.get(f"/v1/contacts/{cid}", headers=headers)
    assert response.status_code == 200, response.text
    groups: list[str] = response.json()["groups"]
    return sorted(groups)


async def listed_contacts(
    client: httpx.AsyncClient, headers: dict[str, str], **params: Any
) -> set[str]:
    """Every contact the list shows, following the cursor."""
    found: set[str] = set()
    cursor: str | None = None
    while True:
        query: dict[str, Any] = {"limit": 500, **params}
        if cursor:
            query["cursor"] = cursor
        response = await client.get("/v1/contacts", params=query, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        found |= {item["id"] for item in body["items"]}
        cursor = body["next_cursor"]
        if not cursor:
            return found


async def counted_contacts(
    client: httpx.AsyncClient, headers: dict[str, str], **params: Any
) -> int:
    response = await client.get("/v1/contacts/count", params=params, headers=headers)
    assert response.status_code == 200, response.text
    count: int = response.json()["count"]
    return count


async def listed_groups(client: httpx.AsyncClient, headers: dict[str, str]) -> list[str]:
    response = await client.get("/v1/groups", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    ids = [g["id"] for g in body["items"]]
    assert body["count"] == len(ids), body
    return sorted(ids)


def csv_rows(response: httpx.Response) -> list[list[str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff"), text[:20]
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


async def status_of(client: httpx.AsyncClient, headers: dict[str, str], url: str) -> int:
    return (await client.get(url, headers=headers)).status_code


async def test_staff_sees_exactly_the_members_of_its_groups_in_both_services(
    client: httpx.AsyncClient,
    groups_client: httpx.AsyncClient,
    accounts_service: AccountsService,
    auth: TokenFactory,
    org: str,
) -> None:
    users = await staff_members(accounts_service, org, "sam", "kim")
    admin = auth(org)
    staff = auth(org, "staff", users["sam"])
    pa, pb, pc, pd = phones(4)
    a = (await create(client, admin, phone=pa, name="Alice"))["id"]
    b = (await create(client, admin, phone=pb, name="Bob"))["id"]
    c = (await create(client, admin, phone=pc, name="Carol"))["id"]
    d = (await create(client, admin, phone=pd, name="Dan"))["id"]
    await known_to_groups(groups_client, admin, [a, b, c, d])

    g1 = (await create_group(groups_client, admin, "Assigned", staff=[users["sam"]]))["id"]
    g2 = (await create_group(groups_client, admin, "Other", staff=[users["kim"]]))["id"]
    assert (await add_members(groups_client, admin, g1, [a, b]))["added"] == 2
    assert (await add_members(groups_client, admin, g2, [c]))["added"] == 1

    # Both services learn the memberships (and the contacts service the assignment) by events.
    await eventually(lambda: member_ids(groups_client, admin, g1), lambda m: m == {a, b})
    await eventually(lambda: member_ids(groups_client, admin, g2), lambda m: m == {c})
    for cid, expected in ((a, [g1]), (b, [g1]), (c, [g2])):
        await eventually(
            functools.partial(contact_groups, client, admin, cid),
            functools.partial(operator.eq, expected),
        )
    assert await contact_groups(client, admin, d) == []
    # The contacts service knows s1 is assigned to G1 once s1 can read A.
    await eventually(
        lambda: status_of(client, staff, f"/v1/contacts/{a}"), lambda code: code == 200
    )

    # ---- groups service, staff token ----
    assert await listed_groups(groups_client, staff) == [g1]
    by_name = await groups_client.get("/v1/groups", params={"name": "other"}, headers=admin)
    assert [g["id"] for g in by_name.json()["items"]] == [g2]
    by_name = await groups_client.get("/v1/groups", params={"name": "other"}, headers=staff)
    assert by_name.status_code == 200
    assert by_name.json() == {"items": [], "count": 0}  # "Other" matches, but is hidden
    fetched = await groups_client.get(f"/v1/groups/{g1}", headers=staff)
    assert fetched.status_code == 200 and fetched.json()["id"] == g1
    for url in (
        f"/v1/groups/{g2}",
        f"/v1/groups/{g2}/members",
        f"/v1/groups/{g2}/export",
        f"/v1/groups/{g2}/export?format=xlsx",
    ):
        response = await groups_client.get(url, headers=staff)
        assert response.status_code == 404, (url, response.status_code, response.text)
        assert response.json()["error"]["code"] == "not_found", response.text

    assert await member_ids(groups_client, staff, g1) == {a, b}
    exported = await groups_client.get(
        f"/v1/groups/{g1}/export", params={"format": "csv"}, headers=staff
    )
    assert exported.status_code == 200, exported.text
    rows = csv_rows(exported)
    assert rows[0][0] == "id"
    assert sorted(r[0] for r in rows[1:]) == sorted([a, b])
    assert all(r[rows[0].index("groups")] == "Assigned" for r in rows[1:]), rows

    for cid in (c, d):
        hidden = await groups_client.get(f"/v1/memberships/{cid}", headers=staff)
        assert hidden.status_code == 404, (cid, hidden.text)
    of_a = await groups_client.get(f"/v1/memberships/{a}", headers=staff)
    assert of_a.status_code == 200, of_a.text
    assert of_a.json() == {"items": [{"id": g1, "name": "Assigned"}]}

    # A contact in both groups shows the staff member only the assigned one.
    assert (await add_members(groups_client, admin, g2, [a]))["added"] == 1
    await eventually(lambda: member_ids(groups_client, admin, g2), lambda m: m == {a, c})
    of_a = await groups_client.get(f"/v1/memberships/{a}", headers=staff)
    assert of_a.json() == {"items": [{"id": g1, "name": "Assigned"}]}
    exported = await groups_client.get(f"/v1/groups/{g1}/export", headers=staff)
    rows = csv_rows(exported)
    by_id = {r[0]: r for r in rows[1:]}
    assert by_id[a][rows[0].index("groups")] == "Assigned", rows

    # Staff cannot change groups.
    refused = await groups_client.post("/v1/groups", json={"name": "Mine"}, headers=staff)
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"]["code"] == "forbidden"
    refused = await groups_client.patch(f"/v1/groups/{g1}", json={"staff": []}, headers=staff)
    assert refused.status_code == 403, refused.text
    refused = await groups_client.post(
        f"/v1/groups/{g1}/members", json={"contact_ids": [d]}, headers=staff
    )
    assert refused.status_code == 403, refused.text

    # ---- contacts service, staff token ----
    assert await listed_contacts(client, staff) == {a, b}
    assert await listed_contacts(client, staff, status="any") == {a, b}
    assert await listed_contacts(client, staff, sort="name") == {a, b}
    assert await listed_contacts(client, staff, q="Carol") == set()
    assert await counted_contacts(client, staff) == 2
    assert await counted_contacts(client, staff, status="any") == 2
    for cid in (a, b):
        assert (await client.get(f"/v1/contacts/{cid}", headers=staff)).status_code == 200
    for cid in (c, d):
        hidden = await client.get(f"/v1/contacts/{cid}", headers=staff)
        assert hidden.status_code == 404, (cid, hidden.text)
        assert hidden.json()["error"]["code"] == "not_found", hidden.text
    patched = await client.patch(f"/v1/contacts/{c}", json={"name": "Changed"}, headers=staff)
    assert patched.status_code == 404, patched.text
    still = await client.get(f"/v1/contacts/{c}", headers=admin)
    assert still.json()["name"] == "Carol"
    status = await client.post(
        f"/v1/contacts/{d}/status", json={"status": "blocked"}, headers=staff
    )
    assert status.status_code == 404, status.text

    # ---- an admin still sees everything ----
    assert await listed_contacts(client, admin) == {a, b, c, d}
    assert await listed_contacts(client, admin, status="any") == {a, b, c, d}
    assert await counted_contacts(client, admin) == 4
    assert await listed_groups(groups_client, admin) == sorted([g1, g2])
    for cid in (a, b, c, d):
        assert (await client.get(f"/v1/contacts/{cid}", headers=admin)).status_code == 200
    assert await member_ids(groups_client, admin, g2) == {a, c}
    exported = await groups_client.get(f"/v1/groups/{g2}/export", headers=admin)
    assert exported.status_code == 200, exported.text
    rows = csv_rows(exported)
    by_id = {r[0]: r for r in rows[1:]}
    assert set(by_id) == {a, c}
    assert by_id[a][rows[0].index("groups")] == "Assigned, Other", rows

    # ---- un-assigning s1 takes everything away ----
    unassigned = await groups_client.patch(f"/v1/groups/{g1}", json={"staff": []}, headers=admin)
    assert unassigned.status_code == 200, unassigned.text
    assert unassigned.json()["staff"] == []
    assert await listed_groups(groups_client, staff) == []
    for url in (f"/v1/groups/{g1}", f"/v1/groups/{g1}/members", f"/v1/groups/{g1}/export"):
        response = await groups_client.get(url, headers=staff)
        assert response.status_code == 404, (url, response.text)
    hidden = await groups_client.get(f"/v1/memberships/{a}", headers=staff)
    assert hidden.status_code == 404, hidden.text

    await eventually(lambda: listed_contacts(client, staff, status="any"), lambda s: s == set())
    assert await counted_contacts(client, staff) == 0
    for cid in (a, b, c, d):
        hidden = await client.get(f"/v1/contacts/{cid}", headers=staff)
        assert hidden.status_code == 404, (cid, hidden.text)
    # The admin's view is unchanged.
    assert await listed_contacts(client, admin) == {a, b, c, d}


async def test_staff_with_no_assignment_sees_nothing(
    client: httpx.AsyncClient,
    groups_client: httpx.AsyncClient,
    accounts_service: AccountsService,
    auth: TokenFactory,
    org: str,
) -> None:
    admin = auth(org)
    nobody = auth(org, "staff", "s-none")
    (pa,) = phones(1)
    a = (await create(client, admin, phone=pa, name="Alice"))["id"]
    await known_to_groups(groups_client, admin, [a])
    other = (await staff_members(accounts_service, org, "other"))["other"]
    group = (await create_group(groups_client, admin, "Assigned", staff=[other]))["id"]
    await add_members(groups_client, admin, group, [a])
    await eventually(lambda: contact_groups(client, admin, a), lambda g: g == [group])

    assert await listed_contacts(client, nobody, status="any") == set()
    assert await counted_contacts(client, nobody) == 0
    assert (await client.get(f"/v1/contacts/{a}", headers=nobody)).status_code == 404
    assert await listed_groups(groups_client, nobody) == []
    assert (await groups_client.get(f"/v1/groups/{group}", headers=nobody)).status_code == 404
    hidden = await groups_client.get(f"/v1/memberships/{a}", headers=nobody)
    assert hidden.status_code == 404, hidden.text
