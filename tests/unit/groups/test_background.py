"""`GroupsBackground` over the fakes: what a restart finds unfinished in the store (smart groups
still evaluating, changes by query still running) is carried out through the bus."""

from __future__ import annotations

from services.groups.domain.member_change import ChangeStatus
from services.groups.domain.model import SmartStatus
from services.groups.entrypoints.background import GroupsBackground
from tests.fakes.groups import ORG, FakeGroupsService


async def test_unfinished_work_is_picked_up_at_start(service: FakeGroupsService) -> None:
    await service.create_contacts("c1", name="Amina")
    smart = await service.create_group("Aminas", query="name ~ ami")
    manual = await service.create_group("Farmers")
    change = await service.change_by_query(manual.id, "name ~ ami")
    service.background.scheduled.clear()  # the process died; the store kept the rest
    background = GroupsBackground(service.groups, service.member_changes, service.bus.handle)

    await background.start()
    await background.idle()
    await background.stop()
    await service.relay()

    assert (await service.group(smart.id)).smart_status is SmartStatus.READY
    done = await service.member_changes.get(ORG, change.id)
    assert done is not None and done.status is ChangeStatus.COMPLETED
    assert await service.contacts.groups_of(ORG, "c1") == [smart.id, manual.id]
    assert await service.groups.evaluating() == []
    assert await service.member_changes.running() == []
