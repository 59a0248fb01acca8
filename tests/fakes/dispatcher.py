"""In-memory fakes of the dispatcher's ports, and the service built over them: the real
handlers behind the real bus (`build_bus`), with no Kafka and no store.

Each fake keeps the contract of its MongoDB adapter in `services/dispatcher/adapters/`
(tenant scoping, deleted channels hidden, saves conditional on the version read), so what
passes here passes there."""

from __future__ import annotations

import copy
from dataclasses import dataclass

from services.dispatcher.bootstrap import build_bus
from services.dispatcher.domain.channels import Channel
from services.dispatcher.service_layer.unit_of_work import DispatcherUnitOfWork
from shared.auth import Principal, Role
from shared.messagebus import MessageBus
from tests.fakes.contacts import T0, FakeClock, SequentialIds

ADMIN = Principal(org_id="org-1", role=Role.ADMIN, subject="ada")
MANAGER = Principal(org_id="org-1", role=Role.MANAGER, subject="max")
OTHER_ORG_ADMIN = Principal(org_id="org-2", role=Role.ADMIN, subject="oz")


class FakeChannelRepository:
    def __init__(self) -> None:
        self.stored: dict[str, Channel] = {}

    async def add(self, channel: Channel) -> None:
        self.stored[channel.id] = copy.deepcopy(channel)

    async def get(self, org_id: str, channel_id: str) -> Channel | None:
        channel = self.stored.get(channel_id)
        if channel is None or channel.org_id != org_id or channel.deleted:
            return None
        return copy.deepcopy(channel)

    async def list(self, org_id: str) -> list[Channel]:
        found = [c for c in self.stored.values() if c.org_id == org_id and not c.deleted]
        return [copy.deepcopy(c) for c in sorted(found, key=lambda c: (c.created_at, c.id))]

    async def save(self, channel: Channel, expected_version: int) -> bool:
        current = self.stored.get(channel.id)
        if current is None or current.version != expected_version:
            return False
        self.stored[channel.id] = copy.deepcopy(channel)
        return True


@dataclass
class FakeDispatcher:
    uow: DispatcherUnitOfWork
    channels: FakeChannelRepository
    clock: FakeClock
    bus: MessageBus


def build_fake_dispatcher() -> FakeDispatcher:
    channels, clock = FakeChannelRepository(), FakeClock(T0)
    uow = DispatcherUnitOfWork(channels=channels, clock=clock, new_id=SequentialIds("channel"))
    return FakeDispatcher(uow=uow, channels=channels, clock=clock, bus=build_bus(uow))
