"""Status reports: stored once each, applied in batches, and never moving a recipient back,
whatever order, repetition or lateness the provider reports in (a property test), with the
counters adding up after every batch."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from services.dispatcher.domain.audience import Audience
from services.dispatcher.domain.commands import (
    ApplyStatusReports,
    CreateBroadcast,
    RecordStatusReports,
    ResolveBroadcast,
    SendNext,
)
from services.dispatcher.domain.recipients import (
    STATUSES,
    StatusReport,
    message_id,
    provider_ref,
)
from services.dispatcher.service_layer.sending import SendProgress
from shared.contracts.messages import MessageDelivered
from tests.fakes.dispatcher import (
    ADMIN,
    FakeDispatcher,
    build_fake_dispatcher,
    channel,
    created,
    deliver,
)
from tests.fakes.dispatcher import group as make_group
from tests.support.contact_events import OPTED_IN, contact_updated

ORG = ADMIN.org_id
PEOPLE = 6
REPORTED = ("sent", "delivered", "read", "failed")


async def sent_broadcast(service: FakeDispatcher) -> tuple[str, list[str], str]:
    """An http broadcast handed to the provider whole: every recipient `sent`."""
    ids = [f"c{n}" for n in range(PEOPLE)]
    for n, contact_id in enumerate(ids):
        await created(service, contact_id, f"+25470000000{n}")
    await make_group(service, "g1", *ids)
    http = await channel(service, "http")
    broadcast = await service.bus.handle(
        CreateBroadcast(ADMIN, Audience(groups=("g1",)), http, "Hello")
    )
    await service.bus.handle(ResolveBroadcast(ORG, broadcast.id))
    progress = SendProgress(0, False)
    while not progress.done:
        progress = await service.bus.handle(SendNext(ORG, broadcast.id))
    return broadcast.id, ids, http


async def report(service: FakeDispatcher, channel_id: str, *reports: StatusReport) -> None:
    """As the channel's callback or webhook records them: each with the channel it came in on."""
    came = [replace(r, channel_id=channel_id) for r in reports]
    await service.bus.handle(RecordStatusReports(channel_id=channel_id, reports=came))


async def test_reports_move_recipients_forward_once_applied(service: FakeDispatcher) -> None:
    broadcast_id, ids, http = await sent_broadcast(service)
    delivered = StatusReport(message_id(broadcast_id, 1, ids[0]), "delivered")
    await report(service, http, delivered, delivered, StatusReport("not-a-message-id", "read"))
    assert len(service.status_inbox.waiting) == 2  # the repeat is kept once

    assert await service.bus.handle(ApplyStatusReports()) == 2
    assert service.status_inbox.waiting == {}
    recipients = service.broadcasts.recipients(broadcast_id)
    assert recipients[ids[0]].status == "delivered"
    await report(service, http, StatusReport(message_id(broadcast_id, 1, ids[0]), "sent"))
    await service.bus.handle(ApplyStatusReports())
    assert service.broadcasts.recipients(broadcast_id)[ids[0]].status == "delivered"
    # Another channel's key vouches for its own messages only; a bucket digit that only
    # looks like one is no message id.
    other = await channel(service, "http")
    await report(service, other, StatusReport(message_id(broadcast_id, 1, ids[1]), "failed"),
                 StatusReport(f"{broadcast_id}.\u00b2.{ids[1]}", "failed"))  # fmt: skip
    await service.bus.handle(ApplyStatusReports())
    assert service.broadcasts.recipients(broadcast_id)[ids[1]].status == "sent"
    delivered_events = [e for e in service.broadcasts.published if isinstance(e, MessageDelivered)]
    assert [e.message_id for e in delivered_events] == [delivered.message_id]  # once


def never_back(old: str, new: str) -> bool:
    """The rule, written out on its own: sent < delivered < read; failed only before delivered;
    read and failed are final."""
    if old == new:
        return True
    if old in ("read", "failed"):
        return False
    if new == "failed":
        return old == "sent"
    order = ("sent", "delivered", "read")
    return new in order and order.index(new) > order.index(old)


report_strategy = st.lists(
    st.tuples(st.integers(0, PEOPLE - 1), st.sampled_from(REPORTED), st.booleans()),
    min_size=1,
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(reports=report_strategy, batch=st.integers(1, 7))
def test_no_report_ever_moves_a_recipient_back_and_the_counts_always_add_up(
    reports: list[tuple[int, str, bool]], batch: int
) -> None:
    async def scenario() -> None:
        service = build_fake_dispatcher()
        broadcast_id, ids, http = await sent_broadcast(service)
        before = {i: r.status for i, r in service.broadcasts.recipients(broadcast_id).items()}
        for start in range(0, len(reports), batch):
            for person, status, repeat in reports[start : start + batch]:
                made = StatusReport(message_id(broadcast_id, 1, ids[person]), status, "x")
                await report(service, http, *([made, made] if repeat else [made]))
            await service.bus.handle(ApplyStatusReports())
            now = service.broadcasts.recipients(broadcast_id)
            for contact_id, recipient in now.items():
                assert never_back(before[contact_id], recipient.status)
            before = {i: r.status for i, r in now.items()}
            counts = await service.broadcasts.counts(broadcast_id)
            assert sum(counts[s] for s in STATUSES) == PEOPLE
        # Each message's event of each status once at most, in forward order only.
        published = [(e.message_id, type(e).__name__) for e in service.broadcasts.published
                     if hasattr(e, "message_id")]  # fmt: skip
        assert len(published) == len(set(published))
        # What the provider said last about a recipient stands, unless it would move it back.
        final = service.broadcasts.recipients(broadcast_id)
        for person, contact_id in enumerate(ids):
            said = [status for p, status, _ in reports if p == person]
            if "read" in said and "failed" not in said:
                assert final[contact_id].status == "read"

    asyncio.run(scenario())


async def test_whatsapp_reports_name_meta_s_ids_and_wait_for_them_to_be_recorded(
    service: FakeDispatcher,
) -> None:
    for n in range(2):
        await created(service, f"c{n}", f"+25470000000{n}", opt_in=OPTED_IN)
        await deliver(service, contact_updated(f"c{n}", last_seen_at=service.clock()), sequence=2)
    await make_group(service, "g1", "c0", "c1")
    whatsapp = await channel(service, "whatsapp_cloud")
    early = StatusReport(provider_ref(whatsapp, "wamid.1"), "delivered")
    await report(service, whatsapp, early)  # before anything was sent: Meta's id not known yet
    await service.bus.handle(ApplyStatusReports())
    waiting = [replace(early, tries=1, channel_id=whatsapp)]
    assert list(service.status_inbox.waiting.values()) == waiting

    broadcast = await service.bus.handle(
        CreateBroadcast(ADMIN, Audience(groups=("g1",)), whatsapp, "Hello")
    )
    await service.bus.handle(ResolveBroadcast(ORG, broadcast.id))
    assert (await service.bus.handle(SendNext(ORG, broadcast.id))).handed == 2
    await report(service, whatsapp, StatusReport(provider_ref(whatsapp, "wamid.2"), "read"))
    await service.bus.handle(ApplyStatusReports())

    statuses = {i: r.status for i, r in service.broadcasts.recipients(broadcast.id).items()}
    assert statuses == {"c0": "delivered", "c1": "read"}  # by Meta's ids, in send order
    assert service.status_inbox.waiting == {}
