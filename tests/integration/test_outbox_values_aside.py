"""Large events wait outside their aggregate's document (`shared.mongo.outbox_values`): a
membership change of hundreds of contacts is published whole, the group's document stays small,
and the set-aside values are gone once published."""

from __future__ import annotations

import httpx

from services.contacts.bootstrap import ContactsService
from services.groups.bootstrap import GroupsService
from shared.mongo.outbox import OUTBOX
from shared.mongo.outbox_values import VALUE_ASIDE_BYTES, values_collection
from tests.conftest import TokenFactory
from tests.support.contacts_api import phones
from tests.support.eventually import eventually
from tests.support.groups_api import add_members, create_group, known_to_groups

CONTACTS = 300  # about 12 kB of ids in one GroupMembershipChanged


async def test_a_large_membership_change_is_published_whole_and_its_value_dropped(
    client: httpx.AsyncClient,
    groups_client: httpx.AsyncClient,
    contacts_service: ContactsService,
    groups_service: GroupsService,
    auth: TokenFactory,
    org: str,
) -> None:
    headers = auth(org)
    batch = await client.post(
        "/v1/contacts/batch",
        json={"contacts": [{"phone": p, "name": f"P{i}"} for i, p in enumerate(phones(CONTACTS))]},
        headers=headers,
    )
    assert batch.status_code == 200, batch.text
    ids = [r["contact"]["id"] for r in batch.json()["results"]]
    assert len(ids) == CONTACTS
    await known_to_groups(groups_client, headers, ids)
    group = await create_group(groups_client, headers, "Large")
    groups = groups_service.uow.groups.collection

    result = await add_members(groups_client, headers, group["id"], ids)

    assert result["added"] == CONTACTS
    stored = await groups.find_one({"_id": group["id"]})
    assert stored is not None
    pending = [e for e in stored[OUTBOX] if e["type"] == "GroupMembershipChanged"]
    if pending:  # not yet published: the document holds a reference, not the ids
        assert all(e["value"] is None and e["aside"] for e in pending)
        assert len(str(stored)) < VALUE_ASIDE_BYTES * 2

    # The contacts service learns every member from the published event.
    async def in_group() -> int:
        docs = await contacts_service.uow.contacts.get_many(org, ids)
        return sum(1 for c in docs.values() if group["id"] in c.groups)

    await eventually(in_group, lambda n: n == CONTACTS)

    async def left_behind() -> tuple[int, int]:
        doc = await groups.find_one({"_id": group["id"]})
        assert doc is not None
        values = await values_collection(groups).count_documents({})
        return len(doc[OUTBOX]), values

    await eventually(left_behind, lambda counts: counts == (0, 0))
    # ... and they did wait aside: the collection of set-aside values was written to.
    names = await groups.database.list_collection_names()
    assert values_collection(groups).name in names
