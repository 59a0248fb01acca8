"""Broadcasts: created once per idempotency key, resolved into recipients that match the
preview one by one, sent a window at a time at most once per recipient (a crash leaves
`unknown` where the provider cannot drop repeats, and re-sends with the same key where it
can), skipped when the contact changed since, retried when the provider asks, and paused,
resumed or cancelled."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.dispatcher.domain.audience import Audience
from services.dispatcher.domain.broadcasts import Broadcast, BroadcastState, QuietHours
from services.dispatcher.domain.commands import (
    ChangeBroadcastState,
    CreateBroadcast,
    HandOver,
    ResolveBroadcast,
    SendNext,
    TakeWindow,
)
from services.dispatcher.domain.errors import (
    BroadcastStateError,
    InvalidBroadcast,
)
from services.dispatcher.service_layer.ports import SendResult
from services.dispatcher.service_layer.queries import preview
from services.dispatcher.service_layer.sending import (
    MAX_ATTEMPTS,
    SendProgress,
    Window,
    window_size,
)
from shared.contracts.messages import MessageSent
from tests.fakes.dispatcher import (
    ADMIN,
    FakeDispatcher,
    ProcessDied,
    build_fake_dispatcher,
    channel,
    created,
    deliver,
    group,
)
from tests.support.contact_events import OPTED_IN, contact_updated, status_changed
from tests.support.events import group_deleted, organization_updated

ORG = ADMIN.org_id


async def start(
    service: FakeDispatcher, channel_id: str, key: str | None = None, **audience: Any
) -> Broadcast:
    named = Audience(**{k: tuple(v) for k, v in audience.items()})
    broadcast: Broadcast = await service.bus.handle(
        CreateBroadcast(by=ADMIN, audience=named, channel_id=channel_id, text="Hello",
                        idempotency_key=key)
    )  # fmt: skip
    return broadcast


async def resolve(service: FakeDispatcher, broadcast: Broadcast) -> Broadcast:
    assert await service.bus.handle(ResolveBroadcast(ORG, broadcast.id))
    stored = await service.broadcasts.get(ORG, broadcast.id)
    assert stored is not None
    return stored


async def send_all(service: FakeDispatcher, broadcast: Broadcast, steps: int = 100) -> int:
    """Steps the sender until the broadcast is done; when nothing was due (retries backing
    off), time moves on a minute, as the sender's next round would find it."""
    handed = 0
    for _ in range(steps):
        progress: SendProgress = await service.bus.handle(SendNext(ORG, broadcast.id))
        handed += progress.handed
        if progress.done:
            return handed
        if not progress.handed:
            service.clock.advance(60)
    raise AssertionError("the broadcast did not finish")


async def people(service: FakeDispatcher, count: int, group_id: str = "g1") -> list[str]:
    ids = [f"c{n:03d}" for n in range(count)]
    for n, contact_id in enumerate(ids):
        await created(service, contact_id, f"+2547{n:08d}")
    await group(service, group_id, *ids)
    return ids


async def test_the_same_idempotency_key_gives_the_same_broadcast(service: FakeDispatcher) -> None:
    await people(service, 2)
    log = await channel(service)
    first = await start(service, log, key="k1", groups=["g1"])
    again = await start(service, log, key="k1", groups=["g1"])
    other = await start(service, log, key="k2", groups=["g1"])
    assert again.id == first.id != other.id
    assert len(service.broadcasts.stored) == 2


async def test_resolution_fixes_recipients_that_match_the_preview_one_by_one(
    service: FakeDispatcher,
) -> None:
    ids = await people(service, 5)
    await deliver(service, status_changed(ids[1], "stopped"), sequence=2)
    log = await channel(service)
    expected = await preview(service.uow, ADMIN, Audience(groups=("g1",)), log)

    broadcast = await resolve(service, await start(service, log, groups=["g1"]))

    assert broadcast.state is BroadcastState.SENDING
    assert (broadcast.audience_count, broadcast.will_receive) == (5, 4)
    assert broadcast.excluded == {k: v for k, v in expected.excluded.items() if v}
    recipients = service.broadcasts.recipients(broadcast.id)
    assert [(r.status, r.reason) for r in recipients.values()].count(("skipped", "stopped")) == 1
    assert recipients[ids[1]].status == "skipped"


async def test_a_log_broadcast_is_sent_once_to_everyone_and_completes(
    service: FakeDispatcher,
) -> None:
    ids = await people(service, 7)
    log = await channel(service)
    broadcast = await resolve(service, await start(service, log, groups=["g1"]))

    assert await send_all(service, broadcast) == 7

    provider = service.providers.for_channel(await service.channels.get(ORG, log))
    assert sorted(m.contact_id for m in provider.received) == ids
    assert len({m.message_id for m in provider.received}) == 7
    assert service.pacer.turns[log] == 7
    counts = await service.broadcasts.counts(broadcast.id)
    assert (counts["delivered"], sum(counts.values())) == (7, 7)
    done = await service.broadcasts.get(ORG, broadcast.id)
    assert done is not None and done.state is BroadcastState.COMPLETED
    published = Counter(type(e).__name__ for e in service.broadcasts.published)
    assert published == {"BroadcastStarted": 1, "MessageSent": 7, "MessageDelivered": 7,
                         "BroadcastCompleted": 1}  # fmt: skip
    sent = [e for e in service.broadcasts.published if isinstance(e, MessageSent)]
    assert {e.message_id for e in sent} == {m.message_id for m in provider.received}


@pytest.mark.parametrize(
    ("kind", "tps", "window"),
    [("log", 2, 4), ("http", 2, 4)],  # send_window 4, two seconds' worth at 2/s
)
async def test_a_crash_mid_window_never_hands_a_message_over_twice_unannounced(
    kind: str, tps: int, window: int
) -> None:
    """log cannot tell repeats: what was in flight is `unknown`. http drops repeats of an
    `Idempotency-Key`: what was in flight is handed over again with the same key."""
    service = build_fake_dispatcher(send_window=4)
    await people(service, 10)
    channel_id = await channel(service, kind, tps=tps)
    made = await service.channels.get(ORG, channel_id)
    provider = service.providers.for_channel(made)
    assert window_size(made, 4) == window
    broadcast = await resolve(service, await start(service, channel_id, groups=["g1"]))
    provider.crash_after = 6  # the second window dies part of the way in

    with pytest.raises(ProcessDied):
        await send_all(service, broadcast)
    provider.dead = False
    await send_all(service, broadcast)  # the next sender

    received = [m.message_id for m in provider.received]
    counts = await service.broadcasts.counts(broadcast.id)
    died_after = 6 - window  # of the second window, handed over before the crash
    if kind == "log":
        # Those in flight were never handed over again: the second window is `unknown`.
        assert len(received) == len(set(received)) == 10 - (window - died_after)
        assert (counts["delivered"], counts["unknown"]) == (10 - window, window)
    else:
        # The second window went again whole, the ones that had gone under the same key.
        repeated = {i for i in received if received.count(i) > 1}
        assert len(set(received)) == 10 and len(repeated) == died_after == 2
        assert counts["sent"] == 10
    assert sum(counts.values()) == 10


async def test_a_contact_blocked_after_resolution_is_skipped_when_its_turn_comes(
    service: FakeDispatcher,
) -> None:
    ids = await people(service, 3)
    log = await channel(service)
    broadcast = await resolve(service, await start(service, log, groups=["g1"]))
    await deliver(service, status_changed(ids[0], "blocked"), sequence=2)

    assert await send_all(service, broadcast) == 2
    recipient = service.broadcasts.recipients(broadcast.id)[ids[0]]
    assert (recipient.status, recipient.reason) == ("skipped", "blocked")


async def test_retries_come_back_to_the_queue_and_refusals_fail_with_the_reason(
    service: FakeDispatcher,
) -> None:
    ids = await people(service, 3)
    http = await channel(service, "http")
    provider = service.providers.for_channel(await service.channels.get(ORG, http))
    provider.script = {
        # Throttled more often than a failing provider is tried: throttling is not failing.
        ids[0]: [SendResult("retry", reason="throttled", throttled=True)] * (MAX_ATTEMPTS + 2),
        ids[1]: [SendResult("failed", reason="invalid_number")],
        ids[2]: [SendResult("retry", reason="provider_error_503")] * 5,
    }
    broadcast = await resolve(service, await start(service, http, groups=["g1"]))

    await send_all(service, broadcast, steps=300)

    recipients = service.broadcasts.recipients(broadcast.id)
    outcomes = {i: (r.status, r.reason, r.attempts) for i, r in recipients.items()}
    assert outcomes[ids[0]][0] == "sent" and outcomes[ids[0]][2] == MAX_ATTEMPTS + 3
    assert outcomes[ids[1]] == ("failed", "invalid_number", 1)
    assert outcomes[ids[2]] == ("failed", "provider_error_503", 5)  # gave up after five


async def test_paused_and_cancelled_broadcasts_send_nothing(service: FakeDispatcher) -> None:
    await people(service, 4)
    log = await channel(service)
    broadcast = await resolve(service, await start(service, log, groups=["g1"]))

    await service.bus.handle(ChangeBroadcastState(ADMIN, broadcast.id, "pause"))
    progress = await service.bus.handle(SendNext(ORG, broadcast.id))
    assert progress == SendProgress(0, False)
    await service.bus.handle(ChangeBroadcastState(ADMIN, broadcast.id, "resume"))
    await service.bus.handle(ChangeBroadcastState(ADMIN, broadcast.id, "cancel"))
    assert await service.bus.handle(SendNext(ORG, broadcast.id)) == SendProgress(0, True)
    with pytest.raises(BroadcastStateError):
        await service.bus.handle(ChangeBroadcastState(ADMIN, broadcast.id, "resume"))
    counts = await service.broadcasts.counts(broadcast.id)
    assert counts["queued"] == 4  # never handed over


async def test_a_broadcast_is_resolved_only_when_its_time_comes(service: FakeDispatcher) -> None:
    await people(service, 1)
    log = await channel(service)
    later = service.clock() + timedelta(minutes=5)
    broadcast: Broadcast = await service.bus.handle(
        CreateBroadcast(ADMIN, Audience(groups=("g1",)), log, "Hi", send_at=later)
    )
    assert not await service.bus.handle(ResolveBroadcast(ORG, broadcast.id))
    service.clock.advance(300)
    assert await service.bus.handle(ResolveBroadcast(ORG, broadcast.id))
    with pytest.raises(InvalidBroadcast):
        await service.bus.handle(
            CreateBroadcast(ADMIN, Audience(groups=("g1",)), log, "Hi",
                            send_at=service.clock() - timedelta(seconds=1))
        )  # fmt: skip
    with pytest.raises(InvalidBroadcast):
        await service.bus.handle(CreateBroadcast(ADMIN, Audience(groups=("g1",)), log, "  "))


async def test_a_retry_waits_for_its_backoff_and_does_not_hold_up_the_others(
    service: FakeDispatcher,
) -> None:
    ids = await people(service, 3)
    http = await channel(service, "http")
    provider = service.providers.for_channel(await service.channels.get(ORG, http))
    provider.script = {ids[0]: [SendResult("retry", reason="provider_error_503")]}
    broadcast = await resolve(service, await start(service, http, groups=["g1"]))

    first: SendProgress = await service.bus.handle(SendNext(ORG, broadcast.id))
    again: SendProgress = await service.bus.handle(SendNext(ORG, broadcast.id))

    assert (first.handed, again) == (3, SendProgress(0, False))  # not due yet, not done
    waiting = service.broadcasts.recipients(broadcast.id)[ids[0]]
    assert waiting.status == "queued" and waiting.not_before is not None
    assert 0.5 <= (waiting.not_before - service.clock()).total_seconds() <= 1.0
    service.clock.advance(1)
    assert (await service.bus.handle(SendNext(ORG, broadcast.id))).handed == 1
    assert service.broadcasts.recipients(broadcast.id)[ids[0]].status == "sent"


async def test_two_broadcasts_keep_the_channel_s_pair_interval_for_one_person(
    service: FakeDispatcher,
) -> None:
    await people(service, 1)
    http = await channel(service, "http", pair_interval_s=6)
    one = await resolve(service, await start(service, http, groups=["g1"]))
    two = await resolve(service, await start(service, http, groups=["g1"]))

    assert (await service.bus.handle(SendNext(ORG, one.id))).handed == 1
    assert (await service.bus.handle(SendNext(ORG, two.id))).handed == 0  # 6 s not over
    deferred = next(iter(service.broadcasts.recipients(two.id).values()))
    assert (deferred.status, deferred.reason) == ("queued", "pair_interval")
    service.clock.advance(6)
    assert (await service.bus.handle(SendNext(ORG, two.id))).handed == 1


async def test_sending_pauses_in_the_quiet_hours_of_the_organisation_s_time_zone(
    service: FakeDispatcher,
) -> None:
    """T0 is 09:00 UTC, 12:00 in Nairobi: inside quiet hours 11:00-13:00 there, outside them
    in UTC, where the organisation was until its time zone came."""
    await people(service, 2)
    log = await channel(service)
    broadcast: Broadcast = await service.bus.handle(
        CreateBroadcast(ADMIN, Audience(groups=("g1",)), log, "Hi",
                        quiet_hours={"start": "11:00", "end": "13:00"})
    )  # fmt: skip
    await resolve(service, broadcast)
    await deliver(service, organization_updated(ORG, timezone="Africa/Nairobi"), sequence=2)
    await deliver(service, organization_updated(ORG, timezone="UTC"), sequence=1)  # older

    assert await service.bus.handle(SendNext(ORG, broadcast.id)) == SendProgress(0, False)
    service.clock.advance(3600)  # 13:00 in Nairobi: over
    assert (await service.bus.handle(SendNext(ORG, broadcast.id))).handed == 2


@pytest.mark.parametrize(
    "quiet_hours",
    [{"start": "8pm", "end": "08:00"}, {"start": "20:00", "end": "20:00"}, {"start": "20:00"},
     {"start": "24:00", "end": "08:00"}],
)  # fmt: skip
async def test_quiet_hours_that_do_not_parse_are_refused(
    service: FakeDispatcher, quiet_hours: dict[str, str]
) -> None:
    await people(service, 1)
    log = await channel(service)
    with pytest.raises(InvalidBroadcast) as refused:
        await service.bus.handle(
            CreateBroadcast(ADMIN, Audience(groups=("g1",)), log, "Hi", quiet_hours=quiet_hours)
        )
    assert refused.value.details["field"] == "quiet_hours"


def test_quiet_hours_may_span_midnight() -> None:
    night = QuietHours.parse({"start": "20:00", "end": "08:00"})
    assert night is not None
    at = datetime(2026, 12, 1, tzinfo=UTC)
    assert [night.contains(at.replace(hour=h), "UTC") for h in (7, 8, 19, 20, 23)] == [
        True, False, False, True, True,
    ]  # fmt: skip


async def test_the_next_window_is_taken_while_the_last_is_on_its_way_and_each_goes_once() -> None:
    """The channel's sender takes window 2 before window 1 is answered: window 1's recipients
    are `sending` but on their way from this process, not left by a dead one."""
    service = build_fake_dispatcher(send_window=4)
    ids = await people(service, 8)
    whatsapp = await channel(service, "whatsapp_cloud", tps=100)  # cannot tell repeats
    for contact_id in ids:
        await deliver(service, contact_updated(contact_id, last_seen_at=service.clock(),
                                               opt_in=OPTED_IN), sequence=2)  # fmt: skip
    broadcast = await resolve(service, await start(service, whatsapp, groups=["g1"]))

    first = await service.bus.handle(TakeWindow(ORG, broadcast.id))
    second = await service.bus.handle(TakeWindow(ORG, broadcast.id))
    assert isinstance(first, Window) and isinstance(second, Window)
    taken = [r.contact_id for r in first.recipients + second.recipients]
    assert sorted(taken) == ids  # two windows of four, none marked unknown
    assert await service.bus.handle(TakeWindow(ORG, broadcast.id)) == SendProgress(0, False)

    await service.bus.handle(HandOver(second))
    await service.bus.handle(HandOver(first))

    provider = service.providers.for_channel(await service.channels.get(ORG, whatsapp))
    assert sorted(m.contact_id for m in provider.received) == ids
    counts = await service.broadcasts.counts(broadcast.id)
    assert (counts["sent"], counts["unknown"]) == (8, 0)
    assert await send_all(service, broadcast) == 0  # and then it completes


async def test_a_broadcast_whose_exclude_group_was_deleted_is_not_sent(
    service: FakeDispatcher,
) -> None:
    """Its members could no longer be told apart: better no message than one to them."""
    await people(service, 2)
    await group(service, "do-not-send")
    log = await channel(service)
    broadcast: Broadcast = await service.bus.handle(
        CreateBroadcast(ADMIN, Audience(groups=("g1",), exclude_groups=("do-not-send",)), log, "x")
    )
    await deliver(service, group_deleted("do-not-send"), sequence=2)

    assert await service.bus.handle(ResolveBroadcast(ORG, broadcast.id))
    failed = await service.broadcasts.get(ORG, broadcast.id)
    assert failed is not None and failed.state is BroadcastState.FAILED
    assert failed.failure == "exclude_group_deleted"


async def test_a_message_the_provider_may_have_taken_is_unknown_and_never_sent_again(
    service: FakeDispatcher,
) -> None:
    ids = await people(service, 2)
    whatsapp = await channel(service, "whatsapp_cloud")
    for contact_id in ids:
        await deliver(service, contact_updated(contact_id, last_seen_at=service.clock(),
                                               opt_in=OPTED_IN), sequence=2)  # fmt: skip
    provider = service.providers.for_channel(await service.channels.get(ORG, whatsapp))
    provider.script = {ids[0]: [SendResult("unknown", reason="no_answer: ReadTimeout")]}
    broadcast = await resolve(service, await start(service, whatsapp, groups=["g1"]))

    await send_all(service, broadcast)

    recipients = service.broadcasts.recipients(broadcast.id)
    assert (recipients[ids[0]].status, recipients[ids[1]].status) == ("unknown", "sent")
    assert [m.contact_id for m in provider.received].count(ids[0]) == 1


async def test_a_window_taken_beside_another_still_keeps_the_pair_interval(
    service: FakeDispatcher,
) -> None:
    """Both broadcasts' windows are taken before either goes: the second finds the person
    reached a moment ago when its turn comes, and puts the message off."""
    await people(service, 1)
    http = await channel(service, "http", pair_interval_s=6)
    one = await resolve(service, await start(service, http, groups=["g1"]))
    two = await resolve(service, await start(service, http, groups=["g1"]))
    first = await service.bus.handle(TakeWindow(ORG, one.id))
    second = await service.bus.handle(TakeWindow(ORG, two.id))

    await service.bus.handle(HandOver(first))
    await service.bus.handle(HandOver(second))

    [put_off] = service.broadcasts.recipients(two.id).values()
    assert (put_off.status, put_off.reason, put_off.attempts) == ("queued", "pair_interval", 0)
    assert put_off.not_before is not None
    service.clock.advance(6)
    assert (await service.bus.handle(SendNext(ORG, two.id))).handed == 1


async def test_the_eta_counts_the_broadcasts_sharing_the_channel(service: FakeDispatcher) -> None:
    await people(service, 30, "big")
    small = [f"s{n}" for n in range(10)]
    for n, contact_id in enumerate(small):
        await created(service, contact_id, f"+2547900000{n:02d}")
    await group(service, "small", *small)
    http = await channel(service, "http", tps=10)
    alone = await preview(service.uow, ADMIN, Audience(groups=("small",)), http)
    assert alone.eta_seconds == 1  # 10 at 10 a second
    await resolve(service, await start(service, http, groups=["big"]))  # 30 queued ahead
    shared = await preview(service.uow, ADMIN, Audience(groups=("small",)), http)
    assert shared.eta_seconds == 2  # round robin: 10 of the 30 go while these 10 do
    bigger = await preview(service.uow, ADMIN, Audience(groups=("big", "small")), http)
    assert bigger.eta_seconds == 7  # 40 beside the 30 left: all 70
