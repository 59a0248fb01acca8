"""The groups service against real Kafka and a real store, beside the contacts service: groups,
memberships by id and by query, status effects, smart groups and the contacts' projection."""

from __future__ import annotations

import functools
from typing import Any

import httpx

from tests.conftest import TokenFactory
from tests.support.contacts_api import create, define_field, phones
from tests.support.eventually import eventually
from tests.support.groups_api import add_members, create_group, known_to_groups, member_ids


async def contact_groups(client: httpx.AsyncClient, headers: dict[str, str], cid: str) -> list[str]:
    response = await client.get(f"/v1/contacts/{cid}", headers=headers)
    assert response.status_code == 200, response.text
    groups: list[str] = response.json()["groups"]
    return sorted(groups)


async def member_count(client: httpx.AsyncClient, headers: dict[str, str], group_id: str) -> int:
    """As counted once the group's own events are applied (a moment after the request)."""
    response = await client.get(f"/v1/groups/{group_id}", headers=headers)
    assert response.status_code == 200, response.text
    return int(response.json()["member_count"])


async def test_group_lifecycle_names_and_limits(
    groups_client: httpx.AsyncClient, auth: TokenFactory, org: str
) -> None:
    headers = auth(org)
    farmers = await create_group(groups_client, headers, "  Farmers  ", description="Kano")
    assert farmers["name"] == "Farmers"
    assert farmers["type"] == "manual" and farmers["member_count"] == 0
    duplicate = await groups_client.post("/v1/groups", json={"name": "FARMERS"}, headers=headers)
    assert duplicate.status_code == 409
    assert duplicate.json()["error"]["code"] == "duplicate_group_name"
    too_long = await groups_client.post("/v1/groups", json={"name": "x" * 65}, headers=headers)
    assert too_long.status_code == 422 and too_long.json()["error"]["code"] == "invalid_group"

    renamed = await groups_client.patch(
        f"/v1/groups/{farmers['id']}", json={"name": "Growers"}, headers=headers
    )
    assert renamed.status_code == 200 and renamed.json()["version"] == 2
    listed = (
        await groups_client.get("/v1/groups", params={"name": "grow"}, headers=headers)
    ).json()
    assert [g["id"] for g in listed["items"]] == [farmers["id"]] and listed["count"] == 1

    deleted = await groups_client.delete(f"/v1/groups/{farmers['id']}", headers=headers)
    assert deleted.status_code == 204
    gone = await groups_client.get(f"/v1/groups/{farmers['id']}", headers=headers)
    assert gone.status_code == 404
    # The name is free again once the group is deleted.
    await create_group(groups_client, headers, "Farmers")
    other_org = await groups_client.get(f"/v1/groups/{farmers['id']}", headers=auth(org + "-x"))
    assert other_org.status_code == 404


async def test_members_by_id_with_per_id_refusals(
    client: httpx.AsyncClient,
    groups_client: httpx.AsyncClient,
    auth: TokenFactory,
    org: str,
) -> None:
    headers = auth(org)
    numbers = phones(4)
    ids = [
        (await create(client, headers, phone=p, name=f"C{i}"))["id"] for i, p in enumerate(numbers)
    ]
    blocked = await client.post(
        f"/v1/contacts/{ids[3]}/status", json={"status": "blocked"}, headers=headers
    )
    assert blocked.status_code == 200
    await known_to_groups(groups_client, headers, ids)
    group = await create_group(groups_client, headers, "Clinic")

    async def blocked_known() -> int:
        result = await add_members(groups_client, headers, group["id"], [ids[3]])
        return int(result["refused"])

    await eventually(blocked_known, lambda refused: refused == 1)
    result = await add_members(
        groups_client, headers, group["id"], [ids[0], ids[1], ids[0], "nope"]
    )
    by_id = {r["id"]: r for r in result["results"]}
    assert by_id[ids[0]]["status"] == "added" and by_id[ids[1]]["status"] == "added"
    assert by_id["nope"] == {"id": "nope", "status": "refused", "reason": "unknown_contact"}
    assert result["added"] == 2 and result["refused"] == 1

    await eventually(
        lambda: member_ids(groups_client, headers, group["id"]), lambda m: m == {ids[0], ids[1]}
    )
    again = await add_members(groups_client, headers, group["id"], [ids[0], ids[3]])
    assert again["added"] == 0 and again["unchanged"] == 1
    assert again["results"][1] == {"id": ids[3], "status": "refused", "reason": "contact_blocked"}

    # Both services agree on the contact's groups, and on the member count.
    await eventually(lambda: contact_groups(client, headers, ids[0]), lambda g: g == [group["id"]])
    from_groups = await groups_client.get(f"/v1/memberships/{ids[0]}", headers=headers)
    assert from_groups.json() == {"items": [{"id": group["id"], "name": "Clinic"}]}
    # Its old path, under the contacts service's prefix, redirects there for one version.
    moved = await client.get(f"/v1/contacts/{ids[0]}/groups?x=1", headers=headers)
    assert (moved.status_code, moved.headers["location"]) == (308, f"/v1/memberships/{ids[0]}?x=1")
    assert (await client.get(f"/v1/contacts/{ids[0]}/groups")).status_code == 401
    await eventually(lambda: member_count(groups_client, headers, group["id"]), lambda n: n == 2)

    removed = await groups_client.request(
        "DELETE",
        f"/v1/groups/{group['id']}/members",
        json={"contact_ids": [ids[1], ids[2]]},
        headers=headers,
    )
    assert removed.status_code == 200, removed.text
    assert removed.json()["removed"] == 1 and removed.json()["unchanged"] == 1
    await eventually(lambda: contact_groups(client, headers, ids[1]), lambda g: g == [])
    await eventually(
        lambda: member_ids(groups_client, headers, group["id"]), lambda m: m == {ids[0]}
    )

    # Deleting the group takes its memberships, not its contacts.
    assert (
        await groups_client.delete(f"/v1/groups/{group['id']}", headers=headers)
    ).status_code == 204
    await eventually(lambda: contact_groups(client, headers, ids[0]), lambda g: g == [])
    assert (await client.get(f"/v1/contacts/{ids[0]}", headers=headers)).status_code == 200


async def test_blocking_removes_the_contact_from_every_group(
    client: httpx.AsyncClient,
    groups_client: httpx.AsyncClient,
    auth: TokenFactory,
    org: str,
) -> None:
    headers = auth(org)
    contact = (await create(client, headers, phone=phones(1)[0]))["id"]
    await known_to_groups(groups_client, headers, [contact])
    groups = [await create_group(groups_client, headers, f"G{i}") for i in range(3)]
    for group in groups:
        await add_members(groups_client, headers, group["id"], [contact])
    every = sorted(g["id"] for g in groups)
    await eventually(lambda: contact_groups(client, headers, contact), lambda g: g == every)

    response = await client.post(
        f"/v1/contacts/{contact}/status", json={"status": "blocked"}, headers=headers
    )
    assert response.status_code == 200
    await eventually(lambda: contact_groups(client, headers, contact), lambda g: g == [])
    for group in groups:
        members = functools.partial(member_ids, groups_client, headers, group["id"])
        await eventually(members, lambda m: m == set())

    # Unblocking does not put manual memberships back.
    unblocked = await client.post(
        f"/v1/contacts/{contact}/status", json={"status": "active"}, headers=headers
    )
    assert unblocked.status_code == 200
    answer = await groups_client.get(f"/v1/memberships/{contact}", headers=headers)
    assert answer.json() == {"items": []}


async def test_smart_group_follows_the_query_both_ways(
    client: httpx.AsyncClient,
    groups_client: httpx.AsyncClient,
    auth: TokenFactory,
    org: str,
) -> None:
    headers = auth(org)
    await define_field(client, headers, "Age", "number")
    adult, child = phones(2)
    a = (await create(client, headers, phone=adult, fields={"age": 30}))["id"]
    c = (await create(client, headers, phone=child, fields={"age": 12}))["id"]
    await known_to_groups(groups_client, headers, [a, c])

    async def create_smart() -> httpx.Response:
        return await groups_client.post(
            "/v1/groups", json={"name": "Adults", "query": "age >= 18"}, headers=headers
        )

    # The groups service learns the field from the contacts service's events.
    response = await eventually(create_smart, lambda r: r.status_code == 201)
    group: dict[str, Any] = response.json()
    assert group["type"] == "smart" and group["query"] == "age >= 18"

    async def state() -> tuple[str | None, set[str]]:
        fetched = (await groups_client.get(f"/v1/groups/{group['id']}", headers=headers)).json()
        return fetched["smart_status"], await member_ids(groups_client, headers, group["id"])

    await eventually(state, lambda s: s == ("ready", {a}))

    async def set_age(contact_id: str, age: int) -> None:
        response = await client.patch(
            f"/v1/contacts/{contact_id}", json={"fields": {"age": age}}, headers=headers
        )
        assert response.status_code == 200, response.text

    await set_age(c, 18)
    await eventually(state, lambda s: s[1] == {a, c})
    await set_age(a, 17)
    await eventually(state, lambda s: s[1] == {c})
    await eventually(lambda: contact_groups(client, headers, a), lambda g: g == [])
    await eventually(lambda: contact_groups(client, headers, c), lambda g: g == [group["id"]])

    manual = await groups_client.post(
        f"/v1/groups/{group['id']}/members", json={"contact_ids": [a]}, headers=headers
    )
    assert manual.status_code == 409
    assert manual.json()["error"]["code"] == "smart_group_membership"
    refused = await groups_client.post(
        "/v1/groups", json={"name": "Blocked", "query": "status = blocked"}, headers=headers
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "invalid_smart_query"


async def test_smart_group_takes_a_query_as_rapidpro_prints_it(
    client: httpx.AsyncClient,
    groups_client: httpx.AsyncClient,
    auth: TokenFactory,
    org: str,
) -> None:
    """A query copied from a RapidPro export (`fields.`, `urns.` prefixes, quoted values)."""
    headers = auth(org)
    await define_field(client, headers, "Age", "number")
    first, second = phones(2)
    a = (await create(client, headers, phone=first, fields={"age": 30}))["id"]
    b = (await create(client, headers, phone=second, fields={"age": 30}))["id"]
    await known_to_groups(groups_client, headers, [a, b])

    query = f'fields.age >= 18 AND urns.tel ~ "{first}"'

    async def create_smart() -> httpx.Response:
        return await groups_client.post(
            "/v1/groups", json={"name": "Migrated", "query": query}, headers=headers
        )

    response = await eventually(create_smart, lambda r: r.status_code == 201)
    group: dict[str, Any] = response.json()
    assert group["query"] == f"age >= 18 AND tel ~ {first}"
    await eventually(lambda: member_ids(groups_client, headers, group["id"]), lambda m: m == {a})

    in_no_group = await groups_client.post(
        "/v1/groups", json={"name": "Loners", "query": 'group = ""'}, headers=headers
    )
    assert in_no_group.status_code == 422
    assert in_no_group.json()["error"]["code"] == "invalid_smart_query"


async def test_a_field_used_by_a_smart_group_keeps_its_type_and_stays(
    client: httpx.AsyncClient,
    groups_client: httpx.AsyncClient,
    auth: TokenFactory,
    org: str,
) -> None:
    headers = auth(org)
    await define_field(client, headers, "Grade", "number")
    await define_field(client, headers, "Village")

    async def create_smart() -> httpx.Response:
        return await groups_client.post(
            "/v1/groups", json={"name": "Seniors", "query": "grade >= 10"}, headers=headers
        )

    group = (await eventually(create_smart, lambda r: r.status_code == 201)).json()

    async def where_used() -> dict[str, Any]:
        response = await client.get("/v1/fields/grade/where-used", headers=headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    expected = {"smart_groups": [{"id": group["id"], "name": "Seniors"}]}
    await eventually(where_used, lambda body: body == expected)
    unused = await client.get("/v1/fields/village/where-used", headers=headers)
    assert unused.json() == {"smart_groups": []}

    retyped = await client.patch("/v1/fields/grade", json={"type": "text"}, headers=headers)
    assert retyped.status_code == 409, retyped.text
    assert retyped.json()["error"]["code"] == "field_in_use"
    assert retyped.json()["error"]["details"]["smart_groups"] == expected["smart_groups"]
    deleted = await client.delete("/v1/fields/grade", headers=headers)
    assert deleted.status_code == 409 and deleted.json()["error"]["code"] == "field_in_use"
    relabelled = await client.patch("/v1/fields/grade", json={"label": "Class"}, headers=headers)
    assert relabelled.status_code == 200, "other changes stay allowed"
    assert (await client.delete("/v1/fields/village", headers=headers)).status_code == 204

    removed = await groups_client.delete(f"/v1/groups/{group['id']}", headers=headers)
    assert removed.status_code == 204
    await eventually(where_used, lambda body: body == {"smart_groups": []})
    assert (await client.delete("/v1/fields/grade", headers=headers)).status_code == 204


async def test_anonymized_and_archived_contacts_leave_their_groups(
    client: httpx.AsyncClient,
    groups_client: httpx.AsyncClient,
    auth: TokenFactory,
    org: str,
) -> None:
    headers = auth(org)
    first, second = [(await create(client, headers, phone=p))["id"] for p in phones(2)]
    await known_to_groups(groups_client, headers, [first, second])
    group = await create_group(groups_client, headers, "Leavers")
    await add_members(groups_client, headers, group["id"], [first, second])
    members = functools.partial(member_ids, groups_client, headers, group["id"])
    await eventually(members, lambda m: m == {first, second})

    anonymized = await client.post(f"/v1/contacts/{first}/anonymize", headers=headers)
    assert anonymized.status_code == 200, anonymized.text
    archived = await client.post(
        f"/v1/contacts/{second}/status", json={"status": "archived"}, headers=headers
    )
    assert archived.status_code == 200, archived.text
    await eventually(members, lambda m: m == set())
    await eventually(lambda: contact_groups(client, headers, second), lambda g: g == [])
    gone = await groups_client.get(f"/v1/memberships/{first}", headers=headers)
    assert gone.status_code == 404, "an anonymized contact is no longer known to groups"
    await eventually(lambda: member_count(groups_client, headers, group["id"]), lambda n: n == 0)


async def test_bad_group_changes_are_refused_with_a_reason(
    groups_client: httpx.AsyncClient, auth: TokenFactory, org: str
) -> None:
    headers = auth(org)
    group = await create_group(groups_client, headers, "Strict")
    for body in ({"blacklisted": None}, {"staff": None}, {"name": None}, {"query": "age > 1"}):
        response = await groups_client.patch(
            f"/v1/groups/{group['id']}", json=body, headers=headers
        )
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"]["code"] == "invalid_group"
    stale = await groups_client.patch(
        f"/v1/groups/{group['id']}", json={"name": "Later", "version": 99}, headers=headers
    )
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "version_conflict"
    staff = await groups_client.post("/v1/groups", json={"name": "x"}, headers=auth(org, "staff"))
    assert staff.status_code == 403
