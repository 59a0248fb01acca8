"""Messages contacts send: each checked and stored once with its `InboundMessageReceived`
(the contacts and flows services take it from there)."""

from __future__ import annotations

from services.dispatcher.domain import commands
from services.dispatcher.domain.inbound import InboundMessage, InboundReceipt
from services.dispatcher.service_layer.unit_of_work import DispatcherUnitOfWork
from shared.errors import DomainError


async def receive_inbound(
    cmd: commands.ReceiveInbound, uow: DispatcherUnitOfWork
) -> InboundReceipt:
    receipt = InboundReceipt()
    now = uow.clock()
    for position, report in enumerate(cmd.messages):
        try:
            message = InboundMessage.of(
                org_id=cmd.org_id,
                channel_id=cmd.channel_id,
                sender=report.sender,
                text=report.text,
                provider_message_id=report.provider_message_id,
                received_at=report.received_at,
                now=now,
                kind=report.kind,
                sender_name=report.sender_name,
            )
        except DomainError as exc:
            if cmd.strict:
                raise
            receipt.refused.append({"position": position, "code": exc.code,
                                    "message": exc.message})  # fmt: skip
            continue
        if await uow.inbound.add(message):
            receipt.accepted += 1
        else:
            receipt.repeated += 1
    return receipt
