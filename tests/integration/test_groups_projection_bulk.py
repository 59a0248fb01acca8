"""The groups service's contact projection under a bulk import: ContactCreated events for
contacts it entered as placeholders fill them in (keeping their memberships), new ones are
inserted, and an event older than what is projected changes nothing."""

from __future__ import annotations

import uuid

from services.groups.bootstrap import GroupsService
from services.groups.domain.member import MemberContact
from shared.contracts.contacts import ContactCreated
from tests.support.contact_events import contact_created
from tests.support.messages import received


def created(contact_id: str, name: str) -> ContactCreated:
    return contact_created(contact_id, name, "+254700000001")


async def test_created_events_fill_placeholders_in_and_keep_their_groups(
    groups_service: GroupsService, org: str
) -> None:
    uow, bus = groups_service.uow, groups_service.running.bus
    placeholder, renamed, fresh = (str(uuid.uuid4()) for _ in range(3))
    group_id = str(uuid.uuid4())
    joined, refused = await uow.contacts.add_to_group(
        org, group_id, [placeholder], enter_unseen=True
    )
    assert (joined, refused) == (1, [])
    # `renamed` is already projected at version 3 (a later change came first).
    await uow.contacts.save(MemberContact(id=renamed, org_id=org, name="Renamed Later", version=3))

    await bus.handle_many(
        [
            received(created(placeholder, "Placeholder Filled"), org),
            received(created(renamed, "Stale Name"), org),
            received(created(fresh, "Fresh Contact"), org),
        ]
    )

    found = await uow.contacts.get_many(org, [placeholder, renamed, fresh])
    assert (found[placeholder].name, found[placeholder].version) == ("Placeholder Filled", 1)
    assert found[placeholder].groups == [group_id]
    assert (found[renamed].name, found[renamed].version) == ("Renamed Later", 3)
    assert (found[fresh].name, found[fresh].groups) == ("Fresh Contact", [])
    assert await uow.contacts.get(org + "-other", fresh) is None

    # Redelivered: nothing changes.
    await bus.handle(received(created(placeholder, "Redelivered"), org))
    again = await uow.contacts.get_many(org, [placeholder])
    assert again[placeholder].name == "Placeholder Filled"
