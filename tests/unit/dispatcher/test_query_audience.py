"""Audiences by contactql query: read against the custom fields and groups the dispatcher
copied from the contacts and groups services' events, each contact counted once across groups,
ids and query, and the broadcast resolved to exactly the contacts the preview counted."""

from __future__ import annotations

import pytest

from services.dispatcher.domain.audience import Audience
from services.dispatcher.domain.commands import CreateBroadcast, ResolveBroadcast
from services.dispatcher.domain.errors import EmptyAudience, NotYourGroup
from services.dispatcher.service_layer.queries import preview
from shared.auth import Principal, Role
from shared.contactql.errors import QueryError
from shared.contactql.values import FieldType
from tests.fakes.dispatcher import ADMIN, FakeDispatcher, channel, created, deliver, group
from tests.support.contact_events import contact_updated
from tests.support.events import field_changed, field_defined, field_deleted

ORG = ADMIN.org_id
SAM = Principal(org_id=ORG, role=Role.STAFF, subject="sam")


def age(years: int) -> dict[str, object]:
    return {"text": str(years), "type": "number", "value": years}


async def ages(service: FakeDispatcher) -> None:
    """c1 (41), c2 (29), c3 (35, in g1), c4 (no age), c5 (52, another org's field: none)."""
    await deliver(service, field_defined("age", "number"), sequence=1)
    for n, years in ((1, 41), (2, 29), (3, 35), (4, None)):
        await created(service, f"c{n}", f"+25470000000{n}")
        if years is not None:
            await deliver(service, contact_updated(f"c{n}", fields={"age": age(years)}), 2)
    await group(service, "g1", "c3")


async def test_field_events_are_copied_each_by_its_own_order(service: FakeDispatcher) -> None:
    await deliver(service, field_defined("age", "number"), sequence=1)
    await deliver(service, field_defined("district", "text"), sequence=2)
    await deliver(service, field_changed("age", "text", "number"), sequence=4)
    await deliver(service, field_changed("age", "number", "text"), sequence=3)  # late
    await deliver(service, field_deleted("district"), sequence=5)
    settings = await service.organizations.get(ORG)
    assert settings.fields == {"age": FieldType.TEXT}


async def test_a_query_audience_counts_who_matches_once_and_resolves_to_them(
    service: FakeDispatcher,
) -> None:
    await ages(service)
    log = await channel(service)
    audience = Audience(groups=("g1",), contact_ids=("c1",), query="age > 30")
    counted = await preview(service.uow, ADMIN, audience, log)
    # c3 through g1, c1 by id; the query matches those two again, and no one else.
    assert (counted.audience, counted.will_receive) == (2, 2)

    broader = Audience(groups=("g1",), query="age >= 29")
    broadcast = await service.bus.handle(
        CreateBroadcast(by=ADMIN, audience=broader, channel_id=log, text="Hi")
    )
    assert await service.bus.handle(ResolveBroadcast(ORG, broadcast.id))
    recipients = service.broadcasts.recipients(broadcast.id)
    assert sorted(recipients) == ["c1", "c2", "c3"]


async def test_a_query_on_group_membership_reads_group_names(service: FakeDispatcher) -> None:
    await ages(service)
    log = await channel(service)
    counted = await preview(service.uow, ADMIN, Audience(query='group = "g1" OR age < 30'), log)
    assert counted.audience == 2  # c3 (in g1) and c2 (29)


async def test_a_bad_query_is_refused_with_the_query_languages_code(
    service: FakeDispatcher,
) -> None:
    await ages(service)
    log = await channel(service)
    with pytest.raises(QueryError) as refused:
        await preview(service.uow, ADMIN, Audience(query="shoe_size > 40"), log)
    assert refused.value.code == "unknown_property"
    with pytest.raises(QueryError):
        await preview(service.uow, ADMIN, Audience(query="age >"), log)
    with pytest.raises(EmptyAudience):
        await preview(service.uow, ADMIN, Audience(query=""), log)


async def test_staff_cannot_send_by_query(service: FakeDispatcher) -> None:
    await ages(service)
    log = await channel(service)
    with pytest.raises(NotYourGroup):
        await preview(service.uow, SAM, Audience(query="age > 30"), log)


async def test_a_field_deleted_before_resolution_fails_the_broadcast(
    service: FakeDispatcher,
) -> None:
    await ages(service)
    log = await channel(service)
    broadcast = await service.bus.handle(
        CreateBroadcast(by=ADMIN, audience=Audience(query="age > 30"), channel_id=log, text="Hi")
    )
    await deliver(service, field_deleted("age"), sequence=9)
    assert await service.bus.handle(ResolveBroadcast(ORG, broadcast.id))
    stored = await service.broadcasts.get(ORG, broadcast.id)
    assert stored is not None
    assert (stored.state.value, stored.failure) == ("failed", "invalid_query")
