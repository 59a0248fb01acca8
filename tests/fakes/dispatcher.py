"""In-memory fakes of the dispatcher's ports, and the service built over them: the real
handlers behind the real bus (`build_bus`), with no Kafka and no store.

Each fake keeps the contract of its MongoDB adapter in `services/dispatcher/adapters/`
(tenant scoping, deleted channels hidden, saves conditional on the version read), so what
passes here passes there."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, replace

from services.dispatcher.bootstrap import build_bus
from services.dispatcher.domain.audience import AudienceContact, AudienceGroup
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


class FakeAudienceProjection:
    """Keeps the adapter's rules: state writes never touch `groups`, older copies never
    overwrite newer ones, a membership change enters placeholders for contacts not seen."""

    def __init__(self) -> None:
        self.contacts: dict[str, AudienceContact] = {}
        self.groups: dict[str, AudienceGroup] = {}
        self.members: dict[str, set[str]] = {}

    async def get_contacts(self, org_id: str, ids: Sequence[str]) -> dict[str, AudienceContact]:
        return {
            i: copy.deepcopy(c)
            for i in ids
            if (c := self.contacts.get(i)) is not None and c.org_id == org_id
        }

    async def add_contacts(self, contacts: Sequence[AudienceContact]) -> set[str]:
        present = {c.id for c in contacts if c.id in self.contacts}
        for contact in contacts:
            if contact.id not in present:
                self.contacts[contact.id] = copy.deepcopy(contact)
        return present

    async def save_contacts(self, contacts: Sequence[AudienceContact]) -> None:
        for contact in contacts:
            stored = self.contacts.get(contact.id)
            if stored is not None and stored.version < contact.version:
                self.contacts[contact.id] = replace(
                    copy.deepcopy(contact), groups=list(stored.groups)
                )

    async def get_groups(self, org_id: str, ids: Sequence[str]) -> dict[str, AudienceGroup]:
        return {
            i: copy.deepcopy(g)
            for i in ids
            if (g := self.groups.get(i)) is not None and g.org_id == org_id and not g.deleted
        }

    async def blacklisted_groups(self, org_id: str) -> frozenset[str]:
        return frozenset(
            g.id for g in self.groups.values()
            if g.org_id == org_id and g.blacklisted and not g.deleted
        )  # fmt: skip

    async def save_group(self, group: AudienceGroup) -> None:
        stored = self.groups.get(group.id)
        if stored is None:
            self.groups[group.id] = copy.deepcopy(group)
        elif stored.version < group.version:
            self.groups[group.id] = replace(
                copy.deepcopy(group), applied_seq=stored.applied_seq, deleted=stored.deleted
            )

    async def delete_group(self, org_id: str, group_id: str) -> None:
        group = self.groups.get(group_id)
        if group is None or group.org_id != org_id:
            return
        group.deleted, group.blacklisted = True, False
        for contact_id in self.members.pop(group_id, set()):
            contact = self.contacts[contact_id]
            contact.groups = [g for g in contact.groups if g != group_id]

    async def applied_seq(self, group_id: str) -> int:
        group = self.groups.get(group_id)
        return group.applied_seq if group else 0

    async def record_applied(self, group_id: str, sequence: int) -> None:
        group = self.groups[group_id]
        group.applied_seq = max(group.applied_seq, sequence)

    async def apply_membership(
        self, org_id: str, group_id: str, added: Sequence[str], removed: Sequence[str]
    ) -> None:
        for contact_id in [*added, *removed]:
            self.contacts.setdefault(contact_id, AudienceContact(id=contact_id, org_id=org_id))
        members = self.members.setdefault(group_id, set())
        for contact_id in added:
            contact = self.contacts[contact_id]
            if group_id not in contact.groups:
                contact.groups.append(group_id)
            members.add(contact_id)
        for contact_id in removed:
            contact = self.contacts[contact_id]
            contact.groups = [g for g in contact.groups if g != group_id]
            members.discard(contact_id)

    async def members_page(self, group_id: str, after: str | None, limit: int) -> list[str]:
        ids = sorted(i for i in self.members.get(group_id, ()) if after is None or i > after)
        return ids[:limit]


@dataclass
class FakeDispatcher:
    uow: DispatcherUnitOfWork
    channels: FakeChannelRepository
    audience: FakeAudienceProjection
    clock: FakeClock
    bus: MessageBus


def build_fake_dispatcher() -> FakeDispatcher:
    channels, audience, clock = FakeChannelRepository(), FakeAudienceProjection(), FakeClock(T0)
    uow = DispatcherUnitOfWork(
        channels=channels, audience=audience, clock=clock, new_id=SequentialIds("channel")
    )
    return FakeDispatcher(
        uow=uow, channels=channels, audience=audience, clock=clock, bus=build_bus(uow)
    )
