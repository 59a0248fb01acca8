"""Single messages (`SendMessage` from the flows service): stored once as they are asked for,
then handed to their channel's provider by the channel's sender before each broadcast window,
so they jump ahead of whatever the channel is broadcasting, at the channel's pace.

The steps mirror a broadcast window's (`sending.py`): the messages taken are saved `sending`
before anything is handed over, then each goes at its turn, then the answers are saved; a
message a dead dispatcher left `sending` is handed over again under the same key where the
provider drops repeats, and becomes `unknown` elsewhere.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from services.dispatcher.domain import commands
from services.dispatcher.domain.channels import Channel
from services.dispatcher.domain.messages import Said
from services.dispatcher.domain.recipients import Recipient, StatusReport, provider_ref
from services.dispatcher.domain.single_messages import SingleMessage
from services.dispatcher.service_layer.ports import (
    OutboundMessage,
    Pacer,
    Provider,
    Providers,
    SendResult,
)
from services.dispatcher.service_layer.sending import MAX_ATTEMPTS, record_result, window_size
from services.dispatcher.service_layer.unit_of_work import DispatcherUnitOfWork
from shared.contracts.message_commands import SendMessage
from shared.logging import get_logger
from shared.messagebus import Received

log = get_logger(__name__)


@dataclass(frozen=True)
class SinglesProgress:
    handed: int
    waiting: bool  # more are queued (due or not) or being sent on the channel


async def ask_to_send(command: Received[SendMessage], uow: DispatcherUnitOfWork) -> None:
    """Stored once: the same command again (a redelivery) is the same message."""
    if not await uow.single_messages.add(
        SingleMessage.asked(command.payload, command.org_id, uow.clock())
    ):
        log.info("single_message_repeated", message_id=command.payload.message_id[:200])


async def send_single_messages(
    cmd: commands.SendSingleMessages,
    uow: DispatcherUnitOfWork,
    providers: Providers,
    pacer: Pacer,
) -> SinglesProgress:
    waiting = await uow.single_messages.waiting_on(cmd.channel_id, uow.clock(), uow.send_window)
    if not waiting:  # asked before every broadcast window: one read when there is nothing
        return SinglesProgress(0, await uow.single_messages.has_waiting(cmd.channel_id))
    channel = await uow.channels.find(cmd.channel_id)
    if channel is not None:
        waiting = waiting[: window_size(channel, uow.send_window)]
    # Another organisation's channel is as good as none: nobody sends through another's.
    foreign = [m for m in waiting if channel is None or m.org_id != channel.org_id]
    for message in foreign:
        await _change(uow, message, lambda r, now: r.move("failed", now, "channel_deleted"))
    if channel is None:
        return SinglesProgress(0, await uow.single_messages.has_waiting(cmd.channel_id))
    waiting = [m for m in waiting if m.org_id == channel.org_id]
    provider = providers.for_channel(channel)
    taken = await _take(uow, waiting, channel, provider, pacer)
    if taken:
        await _hand_over(uow, taken, channel, provider, pacer)
    return SinglesProgress(len(taken), await uow.single_messages.has_waiting(cmd.channel_id))


async def _take(
    uow: DispatcherUnitOfWork,
    waiting: list[SingleMessage],
    channel: Channel,
    provider: Provider,
    pacer: Pacer,
) -> list[SingleMessage]:
    """The messages to hand over now, each saved `sending` first; those no longer to be sent
    skipped, those a dead dispatcher left settled, those too soon after the person's last
    message put off. One message per contact per window, the earliest: a flow's two messages
    in a row reach the provider in their order, the second once the first was answered."""
    contacts, blacklisted = {}, {}
    for org_id in {m.org_id for m in waiting}:
        ids = [m.contact_id for m in waiting if m.org_id == org_id]
        contacts[org_id] = await uow.audience.get_contacts(org_id, ids)
        blacklisted[org_id] = await uow.audience.blacklisted_groups(org_id)
    taken: list[SingleMessage] = []
    busy: set[str] = set()  # contacts with a message in this window, or an earlier one waiting
    for message in waiting:
        if pacer.in_flight(message.id) or message.contact_id in busy:
            busy.add(message.contact_id)
            continue  # on its way from this process, or after its contact's earlier message
        busy.add(message.contact_id)
        contact = contacts[message.org_id].get(message.contact_id)
        if contact is not None and contact.phone:
            message.recipient.phone = contact.phone  # the number as the contact has it now
        reason = message.exclusion(contact, blacklisted[message.org_id])

        def prepare(recipient: Recipient, now: datetime, reason: str | None = reason) -> None:
            if recipient.status == "sending":  # left by a dispatcher that died
                if not provider.idempotent:
                    recipient.move("unknown", now, "in_flight_at_crash")
                elif recipient.attempts >= MAX_ATTEMPTS:
                    recipient.move("failed", now, "gave_up_after_crashes")
                else:
                    recipient.attempts += 1
            elif reason is not None:
                recipient.move("skipped", now, reason)
            elif (wait_s := pacer.too_soon(channel, recipient.phone or "")) > 0:
                recipient.requeue(now, "pair_interval", now + timedelta(seconds=wait_s))
            else:
                recipient.move("sending", now)
                recipient.attempts += 1

        if await _change(uow, message, prepare, retry=False) and (
            message.recipient.status == "sending"
        ):
            taken.append(message)
    pacer.started({m.id for m in taken})
    return taken


async def _hand_over(
    uow: DispatcherUnitOfWork,
    taken: list[SingleMessage],
    channel: Channel,
    provider: Provider,
    pacer: Pacer,
) -> None:
    sends: list[tuple[SingleMessage, asyncio.Task[SendResult]]] = []
    try:
        for message in taken:
            await pacer.wait_turn(channel)
            pacer.sent_to(channel, message.recipient.phone or "")
            outbound = OutboundMessage(
                message_id=message.id, channel=channel, to=message.recipient.phone or "",
                said=Said(message.text), contact_id=message.contact_id, broadcast_id=None,
            )  # fmt: skip
            sends.append((message, asyncio.create_task(provider.send(outbound))))
        results = [(message, await send) for message, send in sends]
        if channel.rules.reports_by_provider_id:  # before the results: reports may come first
            await uow.provider_ids.add({provider_ref(channel.id, r.provider_id): m.id
                                        for m, r in results if r.provider_id})  # fmt: skip
        for message, result in results:
            if result.throttled:
                pacer.throttled(channel)
            await _change(uow, message, partial(_answered, result))
    finally:  # a provider that raised: the messages stay `sending`, settled by the next take
        for _, send in sends:
            send.cancel()
        pacer.finished({m.id for m in taken})


async def apply_single_reports(uow: DispatcherUnitOfWork, reports: list[StatusReport]) -> None:
    """Status reports naming single messages; only a report that came in on the message's own
    channel moves it."""
    for report in reports:
        message = await uow.single_messages.get(report.message_id)
        if message is None or message.channel_id != report.channel_id:
            log.warning("status_report_unknown_message", message_id=report.message_id[:200])
            continue
        await _change(uow, message, partial(_reported, report))


def _answered(result: SendResult, recipient: Recipient, now: datetime) -> None:
    record_result(recipient, result, now)


def _reported(report: StatusReport, recipient: Recipient, now: datetime) -> None:
    recipient.move(report.status, now, report.reason)


async def _change(
    uow: DispatcherUnitOfWork,
    message: SingleMessage,
    change: Callable[[Recipient, datetime], object],
    retry: bool = True,
) -> bool:
    """Applies `change` and saves the message with the events of what it reached; if another
    writer saved it meanwhile (a status report), applies it again to a fresh read (`retry`),
    or gives up (False)."""
    while True:
        before, now = message.recipient.status, uow.clock()
        change(message.recipient, now)
        message.announce(before, now, message.text)
        if await uow.single_messages.save(message, message.version):
            return True
        message.events.clear()
        fresh = await uow.single_messages.get(message.id)
        if fresh is None or not retry:
            return False
        message.recipient, message.version = fresh.recipient, fresh.version
