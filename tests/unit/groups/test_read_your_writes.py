"""What another service created a moment ago is waited for, not refused: the request asks the
catch-up (`shared.catch_up`) while its projection has not heard of it yet."""

from __future__ import annotations

from services.groups.domain.model import GroupType
from tests.fakes.groups import FakeGroupsService, field_defined


async def test_a_contact_created_a_moment_ago_joins_once_its_news_arrives(
    service: FakeGroupsService,
) -> None:
    group = await service.create_group("Parents")
    service.catch_up.arrivals.append(lambda: service.create_contacts("c-new"))

    outcome = await service.add_members(group.id, "c-new")

    assert outcome.changed == ["c-new"] and outcome.refused == {}
    assert service.catch_up.waits == 1
    assert await service.members(group.id) == ["c-new"]


async def test_a_contact_nobody_created_is_still_refused_after_the_wait(
    service: FakeGroupsService,
) -> None:
    group = await service.create_group("Parents")
    await service.create_contacts("c-known")

    outcome = await service.add_members(group.id, "c-known", "c-ghost")

    assert outcome.changed == ["c-known"]
    assert outcome.refused == {"c-ghost": "unknown_contact"}
    assert service.catch_up.waits == 1  # asked, and told nothing more is coming


async def test_known_contacts_do_not_wait(service: FakeGroupsService) -> None:
    group = await service.create_group("Parents")
    await service.create_contacts("c1", "c2")

    await service.add_members(group.id, "c1", "c2")

    assert service.catch_up.waits == 0


async def test_a_smart_group_on_a_field_defined_a_moment_ago_is_created(
    service: FakeGroupsService,
) -> None:
    service.catch_up.arrivals.append(lambda: service.receive(field_defined("score", "number")))

    group = await service.create_group("High scores", query="score > 10")

    assert group.type is GroupType.SMART and group.query == "score > 10"
    assert service.catch_up.waits == 1
