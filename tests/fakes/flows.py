"""In-memory fakes of the flows service's ports, and the service built over them: the real
handlers behind the real bus (`build_bus`), with no Kafka and no store.

Each fake keeps the contract of its MongoDB adapter in `services/flows/adapters/` (tenant
scoping, statuses moved forward only), so what passes here passes there."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from services.flows.bootstrap import build_bus
from services.flows.domain.conversation import ConversationMessage, OutboundChange
from services.flows.service_layer.unit_of_work import FlowsUnitOfWork
from shared.messagebus import MessageBus
from tests.fakes.audience import FakeAudienceProjection
from tests.fakes.contacts import T0, FakeClock, SequentialIds


class FakeConversationRepository:
    def __init__(self) -> None:
        self.messages: dict[str, tuple[ConversationMessage, int]] = {}  # with its rank
        self.unattributed: dict[str, tuple[ConversationMessage, int]] = {}

    async def record_outbound(self, changes: Sequence[OutboundChange]) -> None:
        for change in changes:
            stored = self.messages.get(change.message_id)
            if stored is None:
                message = ConversationMessage(
                    id=change.message_id, org_id=change.org_id, contact_id=change.contact_id,
                    direction="out", channel_id=change.channel_id, status=change.status,
                    at=change.at, updated_at=change.at, text=change.text,
                    broadcast_id=change.broadcast_id, reason=change.reason,
                )  # fmt: skip
                self.messages[change.message_id] = (message, change.rank)
                continue
            message, rank = stored
            if change.text is not None:
                message = replace(message, text=change.text, at=change.at)
            if change.rank > rank:
                message = replace(message, status=change.status, updated_at=change.at,
                                  reason=change.reason)  # fmt: skip
                rank = change.rank
            self.messages[change.message_id] = (message, rank)

    async def record_inbound(self, messages: Sequence[ConversationMessage]) -> None:
        for message in messages:
            waiting = self.unattributed if message.contact_id is None else self.messages
            waiting.setdefault(message.id, (message, 0))

    async def attach(self, org_id: str, senders: Mapping[str, str]) -> None:
        for message_id, (message, rank) in list(self.unattributed.items()):
            if message.org_id == org_id and message.phone in senders:
                attributed = replace(message, contact_id=senders[message.phone])
                self.messages.setdefault(message_id, (attributed, rank))
                del self.unattributed[message_id]

    async def page(
        self, org_id: str, contact_id: str, before: tuple[datetime, str] | None, limit: int
    ) -> list[ConversationMessage]:
        mine = sorted(
            (m for m, _ in self.messages.values()
             if m.org_id == org_id and m.contact_id == contact_id
             and (before is None or (m.at, m.id) < before)),
            key=lambda m: (m.at, m.id),
            reverse=True,
        )  # fmt: skip
        return mine[:limit]

    async def has_messages(self, org_id: str, contact_id: str) -> bool:
        return any(m.org_id == org_id and m.contact_id == contact_id
                   for m, _ in self.messages.values())  # fmt: skip

    async def forget_contacts(self, org_id: str, contact_ids: Sequence[str]) -> None:
        gone = set(contact_ids)
        self.messages = {i: (m, r) for i, (m, r) in self.messages.items()
                         if not (m.org_id == org_id and m.contact_id in gone)}  # fmt: skip


@dataclass
class FakeFlows:
    uow: FlowsUnitOfWork
    conversations: FakeConversationRepository
    audience: FakeAudienceProjection
    clock: FakeClock
    bus: MessageBus


def build_fake_flows() -> FakeFlows:
    conversations, audience, clock = (
        FakeConversationRepository(),
        FakeAudienceProjection(),
        FakeClock(T0),
    )
    uow = FlowsUnitOfWork(conversations=conversations, audience=audience, clock=clock,
                          new_id=SequentialIds("id"))  # fmt: skip
    return FakeFlows(uow=uow, conversations=conversations, audience=audience, clock=clock,
                     bus=build_bus(uow))  # fmt: skip
