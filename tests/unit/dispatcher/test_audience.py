"""The audience projection and the preview: contacts and memberships copied from their
services' events in whatever order the two topics deliver them, and a preview that counts
every contact named exactly once, as a recipient or under its first exclusion."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from services.dispatcher.domain.audience import EXCLUSIONS, Audience
from services.dispatcher.domain.errors import (
    EmptyAudience,
    NotYourGroup,
    UnknownChannel,
    UnknownGroups,
)
from services.dispatcher.service_layer.queries import Preview, preview
from shared.auth import Principal, Role
from shared.contracts.contacts import OptInRecord
from shared.contracts.envelope import EventPayload
from tests.fakes.dispatcher import (
    ADMIN,
    OTHER_ORG_ADMIN,
    FakeDispatcher,
    channel,
    created,
    deliver,
    group,
)
from tests.support.contact_events import (
    OPTED_IN,
    contact_anonymized,
    contact_created,
    contact_deleted,
    contact_updated,
    status_changed,
)
from tests.support.events import group_deleted, group_updated, membership_changed

ORG = ADMIN.org_id
SAM = Principal(org_id=ORG, role=Role.STAFF, subject="sam")


async def preview_of(
    service: FakeDispatcher, channel_id: str, by: Principal = ADMIN, **audience: Any
) -> Preview:
    named = Audience(**{k: tuple(v) for k, v in audience.items()})
    return await preview(service.uow, by, named, channel_id)


def adds_up(result: Preview) -> bool:
    return result.audience == result.will_receive + sum(result.excluded.values())


async def test_a_membership_that_comes_before_its_contact_waits_in_a_placeholder(
    service: FakeDispatcher,
) -> None:
    await group(service, "g1", "c1")
    log = await channel(service)
    assert (await preview_of(service, log, groups=["g1"])).audience == 0  # not known yet

    await created(service, "c1", "+254700000001")

    contact = service.audience.contacts["c1"]
    assert (contact.groups, contact.phone, contact.version) == (["g1"], "+254700000001", 1)
    assert (await preview_of(service, log, groups=["g1"])).will_receive == 1


async def test_a_removal_before_creation_keeps_the_contact_out_of_the_group_it_was_created_in(
    service: FakeDispatcher,
) -> None:
    await group(service, "g1")
    await deliver(service, membership_changed("g1", removed=["c1"]), sequence=2)
    await created(service, "c1", "+254700000001", groups=["g1"])
    assert service.audience.contacts["c1"].groups == []


async def test_older_and_redelivered_contact_events_change_nothing(
    service: FakeDispatcher,
) -> None:
    await created(service, "c1", "+254700000001")
    await deliver(service, status_changed("c1", "blocked"), sequence=3)
    await deliver(service, contact_updated("c1", name="Late"), sequence=2)
    await deliver(service, contact_created("c1", "Again", "+254700000009"), sequence=1)

    contact = service.audience.contacts["c1"]
    assert (contact.status, contact.name, contact.phone, contact.version) == (
        "blocked", "c1", "+254700000001", 3,
    )  # fmt: skip


async def test_a_deleted_group_loses_its_members_and_its_late_changes(
    service: FakeDispatcher,
) -> None:
    await created(service, "c1", "+254700000001")
    await group(service, "g1", "c1")
    await deliver(service, group_deleted("g1"), sequence=3)
    await deliver(service, membership_changed("g1", added=["c1"]), sequence=4)

    assert service.audience.contacts["c1"].groups == []
    with pytest.raises(UnknownGroups):
        await preview_of(service, await channel(service), groups=["g1"])


async def test_the_preview_counts_each_contact_once_under_its_first_reason(
    service: FakeDispatcher,
) -> None:
    """One contact for every reason that applies to free text on WhatsApp."""
    now = service.clock()
    recent, stale = now - timedelta(hours=1), now - timedelta(days=2)
    people = {
        "c01": {},  # receives
        "c02": {"status": "blocked"},
        "c03": {"status": "stopped"},
        "c04": {"status": "archived"},
        "c05": {},  # in the blacklisted group
        "c06": {},  # in the excluded group
        "c07": {"opt_in": OptInRecord()},  # consent unknown
        "c08": {"phone": "+254700000001"},  # c01's phone: a duplicate
        "c09": {"seen": stale},  # outside the 24-hour window
        "c10": {"phone": None},  # no phone
        "c11": {},  # in the group and named by id: once
    }
    for n, (contact_id, traits) in enumerate(people.items(), start=1):
        phone = traits.get("phone", f"+25470000{n:04d}")
        await created(
            service, contact_id, phone or "+254799999999",
            status=traits.get("status", "active"), opt_in=traits.get("opt_in", OPTED_IN),
        )  # fmt: skip
        seen = {"last_seen_at": traits.get("seen", recent)}
        await deliver(service, contact_updated(contact_id, **seen, phone=phone), sequence=2)
    await group(service, "everyone", *people)
    await group(service, "do-not-text", "c05", "c02")
    await deliver(service, group_updated_blacklisted("do-not-text"), sequence=3)
    await group(service, "already-told", "c06")
    whatsapp = await channel(service, "whatsapp_cloud", tps=4)

    result = await preview_of(
        service, whatsapp, groups=["everyone"], contact_ids=["c11", "c01", "nobody"],
        exclude_groups=["already-told"],
    )  # fmt: skip

    assert (result.audience, result.will_receive, result.not_found) == (len(people), 2, 1)
    assert dict(result.excluded) == dict.fromkeys(EXCLUSIONS, 0) | dict.fromkeys(
        ("blocked", "stopped", "archived", "blacklisted", "excluded_group", "not_opted_in",
         "duplicate", "outside_window", "no_phone"), 1,
    )  # fmt: skip
    assert adds_up(result)
    assert result.eta_seconds == 1  # two recipients at 4 a second


async def test_a_log_channel_asks_no_consent_and_knows_no_window(service: FakeDispatcher) -> None:
    await created(service, "c1", "+254700000001")  # consent unknown, never seen
    await group(service, "g1", "c1")

    result = await preview_of(service, await channel(service), groups=["g1"])

    assert (result.audience, result.will_receive, result.eta_seconds) == (1, 1, 0)


async def test_a_contact_in_two_audience_groups_is_counted_once(service: FakeDispatcher) -> None:
    for n in range(1, 4):
        await created(service, f"c{n}", f"+25470000000{n}")
    await group(service, "g1", "c1", "c2")
    await group(service, "g2", "c2", "c3")

    result = await preview_of(service, await channel(service), groups=["g1", "g2", "g1"])

    assert (result.audience, result.will_receive) == (3, 3)


async def test_staff_preview_only_their_own_groups(service: FakeDispatcher) -> None:
    await created(service, "c1", "+254700000001")
    await group(service, "mine", "c1", staff=["sam"])
    await group(service, "theirs", "c1")
    log = await channel(service)

    assert (await preview_of(service, log, SAM, groups=["mine"])).will_receive == 1
    with pytest.raises(NotYourGroup) as refused:
        await preview_of(service, log, SAM, groups=["mine", "theirs"])
    assert refused.value.details["group_ids"] == ["theirs"]
    with pytest.raises(NotYourGroup):
        await preview_of(service, log, SAM, groups=["mine"], contact_ids=["c1"])


async def test_an_audience_must_name_someone_known_through_a_channel_known(
    service: FakeDispatcher,
) -> None:
    await group(service, "g1")
    log = await channel(service)
    with pytest.raises(EmptyAudience):
        await preview_of(service, log, exclude_groups=["g1"])
    with pytest.raises(UnknownGroups) as unknown:
        await preview_of(service, log, groups=["g1", "g9"])
    assert unknown.value.details["group_ids"] == ["g9"]
    with pytest.raises(UnknownChannel):
        await preview_of(service, "no-such-channel", groups=["g1"])
    with pytest.raises(UnknownGroups):  # another organisation's group
        await preview_of(service, log, OTHER_ORG_ADMIN, groups=["g1"])


async def test_deleted_and_anonymized_contacts_are_not_in_the_audience(
    service: FakeDispatcher,
) -> None:
    for n in range(1, 4):
        await created(service, f"c{n}", f"+25470000000{n}")
    await group(service, "g1", "c1", "c2", "c3")
    await deliver(service, contact_deleted("c2"), sequence=2)
    await deliver(service, contact_anonymized("c3"), sequence=2)

    log = await channel(service)
    result = await preview_of(service, log, groups=["g1"], contact_ids=["c2", "c3"])

    assert (result.audience, result.will_receive, result.not_found) == (1, 1, 2)
    assert service.audience.contacts["c3"].phone is None  # nothing personal is kept


def group_updated_blacklisted(group_id: str) -> EventPayload:
    update = group_updated(group_id, group_id)
    return update.model_copy(update={"blacklisted": True})
