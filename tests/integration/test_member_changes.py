"""Members by query run in the background: a change resumes after the last contact it handled,
and fails (with the reason) when its query can no longer run."""

from __future__ import annotations

import httpx

from services.groups.bootstrap import GroupsService
from services.groups.domain.member_change import MemberChange
from tests.conftest import TokenFactory
from tests.support.contacts_api import create, phones
from tests.support.eventually import eventually
from tests.support.groups_api import (
    change_by_query,
    create_group,
    finished_change,
    known_to_groups,
    member_ids,
)


async def test_a_running_change_resumes_after_its_last_contact(
    client: httpx.AsyncClient,
    groups_client: httpx.AsyncClient,
    groups_service: GroupsService,
    auth: TokenFactory,
    org: str,
) -> None:
    headers = auth(org)
    ids = sorted(
        [(await create(client, headers, phone=p, category="Resumed"))["id"] for p in phones(4)]
    )
    await known_to_groups(groups_client, headers, ids)
    group = await create_group(groups_client, headers, "Resumed")
    # As a change that stopped (a crash) after handling the first contact: it counted it, and
    # restarting the service goes on with the contacts after it.
    stopped = MemberChange(
        id=f"change-{org}",
        org_id=org,
        group_id=group["id"],
        add=True,
        query='category = "resumed"',
        actor="user:test",
        matched=1,
        changed=1,
        after=ids[0],
    )
    await groups_service.uow.member_changes.add(stopped)
    await groups_service.running.background.start()

    done = await finished_change(groups_client, headers, group["id"], stopped.id)
    assert (done["status"], done["matched"], done["changed"]) == ("completed", 4, 4)
    await eventually(
        lambda: member_ids(groups_client, headers, group["id"]), lambda m: m == set(ids[1:])
    )


async def test_a_change_whose_query_no_longer_runs_fails_with_the_reason(
    groups_client: httpx.AsyncClient, groups_service: GroupsService, auth: TokenFactory, org: str
) -> None:
    headers = auth(org)
    group = await create_group(groups_client, headers, "Unrunnable")
    change = MemberChange(
        id=f"unrunnable-{org}",
        org_id=org,
        group_id=group["id"],
        add=True,
        query="shoe_size > 40",  # a field deleted since the change was recorded
        actor="user:test",
    )
    await groups_service.uow.member_changes.add(change)
    groups_service.running.background.change_members(org, change.id)

    done = await finished_change(groups_client, headers, group["id"], change.id)
    assert done["status"] == "failed" and done["finished_at"] is not None
    assert isinstance(done["error"], dict) and done["error"]["code"] == "unknown_property"


async def test_smart_groups_refuse_changes_by_query(
    groups_client: httpx.AsyncClient, auth: TokenFactory, org: str
) -> None:
    headers = auth(org)
    smart = await create_group(groups_client, headers, "Smart", query='category = "x"')
    refused = await groups_client.post(
        f"/v1/groups/{smart['id']}/members", json={"query": "category = y"}, headers=headers
    )
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "smart_group_membership"
    manual = await create_group(groups_client, headers, "Manual")
    emptied = await change_by_query(
        groups_client, headers, manual["id"], "name ~ nobody", add=False
    )
    assert (emptied["status"], emptied["matched"], emptied["changed"]) == ("completed", 0, 0)
