"""Single messages (`SendMessage` from the flows service): stored once however often the
command comes, sent on their channel at its pace with the same events as a broadcast's
messages (no `broadcast_id`), answering a contact's own keyword even when stopped, settled
after a crash like a window, and moved by status reports on their own channel only."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

from services.dispatcher.domain.commands import ApplyStatusReports, RecordStatusReports
from services.dispatcher.domain.commands import SendSingleMessages as SendSingles
from services.dispatcher.domain.recipients import StatusReport
from services.dispatcher.domain.single_messages import single_message_id
from services.dispatcher.service_layer.ports import SendResult
from services.dispatcher.service_layer.single_messages import SinglesProgress
from shared.contracts.message_commands import MessagePurpose, SendMessage
from shared.contracts.messages import MessageDelivered, MessageFailed, MessageSent
from tests.fakes.dispatcher import ADMIN, FakeDispatcher, ProcessDied, channel, created, deliver
from tests.support.contact_events import status_changed
from tests.support.messages import received

ORG = ADMIN.org_id
AT = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def send_message(channel_id: str, contact_id: str = "c1", *, purpose: MessagePurpose = "flow",
                 caller_id: str = "m1", phone: str = "+254700000001") -> SendMessage:  # fmt: skip
    return SendMessage(message_id=caller_id, contact_id=contact_id, phone=phone,
                       channel_id=channel_id, text="You will get no more messages.",
                       purpose=purpose, requested_at=AT)  # fmt: skip


async def ask(service: FakeDispatcher, command: SendMessage) -> None:
    await service.bus.handle(received(command, ORG))


async def send(service: FakeDispatcher, channel_id: str) -> SinglesProgress:
    progress = await service.bus.handle(SendSingles(channel_id))
    assert isinstance(progress, SinglesProgress)
    return progress


def status_of(service: FakeDispatcher, caller_id: str = "m1") -> tuple[str, str | None]:
    message = service.single_messages.messages[single_message_id(ORG, caller_id)]
    return message.recipient.status, message.recipient.reason


async def test_a_message_asked_twice_is_sent_once_with_the_events_of_any_message(
    service: FakeDispatcher,
) -> None:
    log = await channel(service, "log")
    await created(service, "c1", "+254700000001")
    await ask(service, send_message(log))
    await ask(service, send_message(log))  # the command redelivered

    progress = await send(service, log)

    assert progress == SinglesProgress(1, False)
    [handed] = service.providers.for_channel_type("log")
    assert (handed.to, handed.said.text, handed.broadcast_id) == (
        "+254700000001", "You will get no more messages.", None)  # fmt: skip
    sent, delivered = service.single_messages.published
    assert isinstance(sent, MessageSent) and isinstance(delivered, MessageDelivered)
    assert (sent.broadcast_id, sent.contact_id, sent.text) == (
        None, "c1", "You will get no more messages.")  # fmt: skip
    assert sent.message_id == handed.message_id == single_message_id(ORG, "m1")
    assert await send(service, log) == SinglesProgress(0, False)
    assert len(service.providers.for_channel_type("log")) == 1


async def test_a_stopped_contact_gets_the_answer_to_its_keyword_and_nothing_else(
    service: FakeDispatcher,
) -> None:
    log = await channel(service, "log")
    await created(service, "c1", "+254700000001")
    await deliver(service, status_changed("c1", "stopped"), sequence=2)
    await ask(service, send_message(log, purpose="opt_out_confirmation", caller_id="confirm"))
    await ask(service, send_message(log, purpose="flow", caller_id="question"))

    await send(service, log)
    await send(service, log)  # one message of a contact per window

    assert status_of(service, "confirm") == ("delivered", None)
    assert status_of(service, "question") == ("skipped", "stopped")
    assert len(service.providers.for_channel_type("log")) == 1


async def test_a_blocked_contact_gets_nothing_at_all(service: FakeDispatcher) -> None:
    log = await channel(service, "log")
    await created(service, "c1", "+254700000001")
    await deliver(service, status_changed("c1", "blocked"), sequence=2)
    await ask(service, send_message(log, purpose="opt_out_confirmation"))

    await send(service, log)

    assert status_of(service) == ("skipped", "blocked")
    assert service.providers.for_channel_type("log") == []


async def test_a_contact_not_in_the_copy_yet_is_written_to_at_the_phone_given(
    service: FakeDispatcher,
) -> None:
    log = await channel(service, "log")
    await ask(service, send_message(log, "new", purpose="opt_in_welcome", phone="+254711111111"))

    await send(service, log)

    [handed] = service.providers.for_channel_type("log")
    assert (handed.to, handed.contact_id) == ("+254711111111", "new")


async def test_a_provider_asking_for_patience_gets_the_message_again_after_its_backoff(
    service: FakeDispatcher,
) -> None:
    http = await channel(service, "http")
    await created(service, "c1", "+254700000001")
    provider = service.providers.by_type[service.channels.stored[http].type]
    provider.script["c1"] = [SendResult("retry", reason="provider_unavailable")]
    await ask(service, send_message(http))

    assert await send(service, http) == SinglesProgress(1, True)
    assert status_of(service) == ("queued", "provider_unavailable")
    assert await send(service, http) == SinglesProgress(0, True)  # not due yet

    service.clock.advance(60)
    assert await send(service, http) == SinglesProgress(1, False)
    assert status_of(service)[0] == "sent"
    assert len(provider.received) == 2


async def test_one_left_sending_is_sent_again_under_its_key_where_repeats_are_dropped(
    service: FakeDispatcher,
) -> None:
    http = await channel(service, "http")
    await created(service, "c1", "+254700000001")
    provider = service.providers.by_type[service.channels.stored[http].type]
    provider.crash_after = 0
    await ask(service, send_message(http))
    with contextlib.suppress(ProcessDied):
        await send(service, http)
    assert status_of(service)[0] == "sending"
    service.pacer.on_their_way.clear()  # a new process: nothing on its way from it
    provider.dead = False

    await send(service, http)

    [handed] = provider.received
    assert handed.message_id == single_message_id(ORG, "m1")
    assert status_of(service)[0] == "sent"


async def test_one_left_sending_where_repeats_cannot_be_told_becomes_unknown(
    service: FakeDispatcher,
) -> None:
    whatsapp = await channel(service, "whatsapp_cloud")
    await created(service, "c1", "+254700000001")
    provider = service.providers.by_type[service.channels.stored[whatsapp].type]
    provider.crash_after = 0
    await ask(service, send_message(whatsapp))
    with contextlib.suppress(ProcessDied):
        await send(service, whatsapp)
    service.pacer.on_their_way.clear()
    provider.dead = False

    assert await send(service, whatsapp) == SinglesProgress(0, False)
    assert status_of(service) == ("unknown", "in_flight_at_crash")
    assert provider.received == []


async def test_status_reports_move_a_single_message_on_its_own_channel_only(
    service: FakeDispatcher,
) -> None:
    http, other = await channel(service, "http"), await channel(service, "http")
    await created(service, "c1", "+254700000001")
    await ask(service, send_message(http))
    await send(service, http)
    message_id = single_message_id(ORG, "m1")

    wrong_channel = StatusReport(message_id, "failed", channel_id=other)
    await service.bus.handle(RecordStatusReports(other, [wrong_channel]))
    await service.bus.handle(ApplyStatusReports())
    assert status_of(service)[0] == "sent"

    delivered = StatusReport(message_id, "delivered", channel_id=http)
    await service.bus.handle(RecordStatusReports(http, [delivered]))
    await service.bus.handle(ApplyStatusReports())

    assert status_of(service)[0] == "delivered"
    assert isinstance(service.single_messages.published[-1], MessageDelivered)
    assert not any(isinstance(e, MessageFailed) for e in service.single_messages.published)


async def test_a_message_on_a_channel_deleted_meanwhile_fails(service: FakeDispatcher) -> None:
    await ask(service, send_message("no-such-channel"))

    assert await send(service, "no-such-channel") == SinglesProgress(0, False)

    assert status_of(service) == ("failed", "channel_deleted")


async def test_nobody_sends_through_another_organisations_channel(service: FakeDispatcher) -> None:
    log = await channel(service, "log")
    await service.bus.handle(received(send_message(log), "org-elsewhere"))

    await send(service, log)

    stored = service.single_messages.messages[single_message_id("org-elsewhere", "m1")]
    assert (stored.recipient.status, stored.recipient.reason) == ("failed", "channel_deleted")
    assert service.providers.for_channel_type("log") == []


async def test_one_contacts_messages_go_one_window_after_the_other_in_order(
    service: FakeDispatcher,
) -> None:
    log = await channel(service, "log")
    await created(service, "c1", "+254700000001")
    await ask(service, send_message(log, caller_id="first"))
    service.clock.advance(1)
    await ask(service, send_message(log, caller_id="second"))

    assert await send(service, log) == SinglesProgress(1, True)
    assert await send(service, log) == SinglesProgress(1, False)

    ids = [m.message_id for m in service.providers.for_channel_type("log")]
    assert ids == [single_message_id(ORG, "first"), single_message_id(ORG, "second")]
