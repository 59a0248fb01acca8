"""In-memory fakes of the dispatcher's ports, and the service built over them: the real
handlers behind the real bus (`build_bus`), with no Kafka and no store.

Each fake keeps the contract of its MongoDB adapter in `services/dispatcher/adapters/`
(tenant scoping, deleted channels hidden, saves conditional on the version read), so what
passes here passes there."""

from __future__ import annotations

import contextlib
import copy
from collections import Counter
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from services.dispatcher.bootstrap import build_bus
from services.dispatcher.domain.broadcasts import Broadcast, BroadcastState
from services.dispatcher.domain.channels import Channel, ChannelType
from services.dispatcher.domain.commands import CreateChannel, CreateTemplate
from services.dispatcher.domain.inbound import InboundMessage
from services.dispatcher.domain.recipients import (
    Recipient,
    RecipientBucket,
    StatusReport,
    bucket_id,
    summed,
)
from services.dispatcher.domain.single_messages import SingleMessage
from services.dispatcher.domain.templates import Template
from services.dispatcher.service_layer.ports import OutboundMessage, SendResult
from services.dispatcher.service_layer.unit_of_work import DispatcherUnitOfWork
from shared.auth import Principal, Role
from shared.contracts.envelope import EventPayload
from shared.contracts.inbound import InboundMessageReceived
from shared.messagebus import MessageBus
from tests.fakes.audience import FakeAudienceProjection
from tests.fakes.contacts import T0, FakeClock, SequentialIds
from tests.fakes.organizations import FakeOrganizationCopies
from tests.support.contact_events import contact_created
from tests.support.events import group_created, membership_changed
from tests.support.messages import received

ADMIN = Principal(org_id="org-1", role=Role.ADMIN, subject="ada")
MANAGER = Principal(org_id="org-1", role=Role.MANAGER, subject="max")
OTHER_ORG_ADMIN = Principal(org_id="org-2", role=Role.ADMIN, subject="oz")


class _Versioned(Protocol):
    id: str
    org_id: str
    version: int
    deleted: bool


Item = TypeVar("Item", bound=_Versioned)


class FakeVersionedRepository(Generic[Item]):
    """Channels and templates alike: an organisation's items, not deleted, each saved only
    at the version read; `order` sorts a listing."""

    def __init__(self, order: Callable[[Item], Any]) -> None:
        self.stored: dict[str, Item] = {}
        self._order = order

    async def add(self, item: Item) -> None:
        self.stored[item.id] = copy.deepcopy(item)

    async def get(self, org_id: str, item_id: str) -> Item | None:
        item = self.stored.get(item_id)
        if item is None or item.org_id != org_id or item.deleted:
            return None
        return copy.deepcopy(item)

    async def list(self, org_id: str) -> list[Item]:
        found = [c for c in self.stored.values() if c.org_id == org_id and not c.deleted]
        return [copy.deepcopy(c) for c in sorted(found, key=self._order)]

    async def save(self, item: Item, expected_version: int) -> bool:
        current = self.stored.get(item.id)
        if current is None or current.version != expected_version:
            return False
        self.stored[item.id] = copy.deepcopy(item)
        return True


class FakeChannelRepository(FakeVersionedRepository[Channel]):
    def __init__(self) -> None:
        super().__init__(lambda c: (c.created_at, c.id))

    async def find(self, channel_id: str) -> Channel | None:
        channel = self.stored.get(channel_id)
        return copy.deepcopy(channel) if channel is not None and not channel.deleted else None


class FakeTemplateRepository(FakeVersionedRepository[Template]):
    def __init__(self) -> None:
        super().__init__(lambda t: (t.name, t.id))


class FakeBroadcastRepository:
    """`published`: the events each save stored with it (the outbox), in order."""

    def __init__(self) -> None:
        self.stored: dict[str, Broadcast] = {}
        self.bucket_docs: dict[str, RecipientBucket] = {}
        self.published: list[EventPayload] = []

    async def add(self, broadcast: Broadcast) -> Broadcast:
        for existing in self.stored.values():
            if broadcast.idempotency_key is not None and (
                existing.org_id,
                existing.idempotency_key,
            ) == (broadcast.org_id, broadcast.idempotency_key):
                return copy.deepcopy(existing)
        self.stored[broadcast.id] = copy.deepcopy(broadcast)
        return broadcast

    async def get(self, org_id: str, broadcast_id: str) -> Broadcast | None:
        found = self.stored.get(broadcast_id)
        return copy.deepcopy(found) if found is not None and found.org_id == org_id else None

    async def save(self, broadcast: Broadcast, expected_version: int) -> bool:
        current = self.stored.get(broadcast.id)
        if current is None or current.version != expected_version:
            return False
        self.published.extend(broadcast.events)
        broadcast.events.clear()
        self.stored[broadcast.id] = copy.deepcopy(broadcast)
        return True

    async def page(
        self, org_id: str, after: tuple[datetime, str] | None, limit: int
    ) -> list[Broadcast]:
        ordered = sorted(
            (b for b in self.stored.values() if b.org_id == org_id),
            key=lambda b: (b.created_at, b.id),
            reverse=True,
        )
        if after is not None:
            ordered = [b for b in ordered if (b.created_at, b.id) < after]
        return copy.deepcopy(ordered[:limit])

    async def due(self, now: datetime) -> list[Broadcast]:
        states = (BroadcastState.SCHEDULED, BroadcastState.RESOLVING)
        return [copy.deepcopy(b) for b in self.stored.values()
                if b.state in states and b.send_at <= now]  # fmt: skip

    async def sending_on(self, channel_id: str) -> list[Broadcast]:
        found = [b for b in self.stored.values()
                 if b.state is BroadcastState.SENDING and b.channel_id == channel_id]  # fmt: skip
        return copy.deepcopy(sorted(found, key=lambda b: b.created_at))

    async def channels_sending(self) -> list[str]:
        return sorted({b.channel_id for b in self.stored.values()
                       if b.state is BroadcastState.SENDING})  # fmt: skip

    async def clear_buckets(self, broadcast_id: str) -> None:
        for key in [k for k, b in self.bucket_docs.items() if b.broadcast_id == broadcast_id]:
            del self.bucket_docs[key]

    async def add_bucket(self, bucket: RecipientBucket) -> None:
        bucket.version = 1
        self.bucket_docs[bucket.id] = copy.deepcopy(bucket)

    async def get_bucket(self, broadcast_id: str, n: int) -> RecipientBucket | None:
        found = self.bucket_docs.get(bucket_id(broadcast_id, n))
        return copy.deepcopy(found) if found is not None else None

    async def open_bucket(
        self, broadcast_id: str, now: datetime, after: int | None = None
    ) -> RecipientBucket | None:
        for key in sorted(self.bucket_docs):
            bucket = self.bucket_docs[key]
            ready_at = bucket.ready_at()
            if (
                bucket.broadcast_id == broadcast_id
                and ready_at is not None
                and ready_at <= now
                and (after is None or bucket.n > after)
            ):
                return copy.deepcopy(bucket)
        return None

    async def has_open_bucket(self, broadcast_id: str) -> bool:
        return any(b.broadcast_id == broadcast_id and not b.done for b in self.bucket_docs.values())

    async def save_bucket(self, bucket: RecipientBucket, expected_version: int) -> bool:
        current = self.bucket_docs.get(bucket.id)
        if current is None or current.version != expected_version:
            return False
        bucket.version = expected_version + 1
        self.published.extend(bucket.events)
        bucket.events.clear()
        self.bucket_docs[bucket.id] = copy.deepcopy(bucket)
        return True

    async def counts(self, broadcast_id: str) -> Counter[str]:
        return summed(b.counts for b in self.bucket_docs.values() if b.broadcast_id == broadcast_id)

    async def settle_counts(self, broadcast_id: str) -> Counter[str]:
        return await self.counts(broadcast_id)

    async def buckets(self, broadcast_id: str) -> AsyncIterator[RecipientBucket]:
        for key in sorted(self.bucket_docs):
            if self.bucket_docs[key].broadcast_id == broadcast_id:
                yield copy.deepcopy(self.bucket_docs[key])

    def recipients(self, broadcast_id: str) -> dict[str, Recipient]:
        return {r.contact_id: r for key in sorted(self.bucket_docs)
                if (b := self.bucket_docs[key]).broadcast_id == broadcast_id
                for r in b.recipients}  # fmt: skip


class ScriptedProvider:
    """A provider that answers each contact's messages from its script (then `sent`), and
    records every message. Like the log channel, `delivers_at_once` reports delivery too."""

    def __init__(self, idempotent: bool, delivers_at_once: bool) -> None:
        self.idempotent = idempotent
        self.delivers_at_once = delivers_at_once
        self.received: list[OutboundMessage] = []
        self.script: dict[str, list[SendResult]] = {}
        # After this many messages the dispatcher dies: nothing more is handed over until the
        # test brings it back (`dead = False`).
        self.crash_after: int | None = None
        self.dead = False

    async def send(self, message: OutboundMessage) -> SendResult:
        if self.crash_after is not None and len(self.received) >= self.crash_after:
            self.crash_after, self.dead = None, True
        if self.dead:
            raise ProcessDied("the dispatcher died while handing messages over")
        self.received.append(message)
        answers = self.script.get(message.contact_id)
        if answers:
            return answers.pop(0)
        provider_id = f"wamid.{len(self.received)}"  # the provider's own id for it
        return SendResult("sent", provider_id=provider_id, delivered=self.delivers_at_once)


class ProcessDied(Exception):
    pass


class FakeProviders:
    def __init__(self) -> None:
        self.by_type = {
            ChannelType.LOG: ScriptedProvider(idempotent=False, delivers_at_once=True),
            ChannelType.HTTP: ScriptedProvider(idempotent=True, delivers_at_once=False),
            ChannelType.WHATSAPP_CLOUD: ScriptedProvider(idempotent=False, delivers_at_once=False),
        }

    def for_channel(self, channel: Channel) -> ScriptedProvider:
        return self.by_type[channel.type]

    def for_channel_type(self, type: str) -> list[OutboundMessage]:
        """What the channels of this type were handed, in order."""
        return list(self.by_type[ChannelType(type)].received)


class CountingPacer:
    """Counts each channel's turns (and the provider's throttling) instead of waiting; keeps
    the pair interval on the test's clock."""

    def __init__(self, clock: FakeClock) -> None:
        self.turns: Counter[str] = Counter()
        self.throttles: Counter[str] = Counter()
        self._clock = clock
        self._last_sent: dict[tuple[str, str], datetime] = {}
        self.on_their_way: set[str] = set()

    def too_soon(self, channel: Channel, phone: str) -> float:
        last = self._last_sent.get((channel.id, phone))
        if last is None:
            return 0.0
        return max(0.0, channel.pair_interval_s - (self._clock() - last).total_seconds())

    def sent_to(self, channel: Channel, phone: str) -> None:
        self._last_sent[(channel.id, phone)] = self._clock()

    def started(self, message_ids: set[str]) -> None:
        self.on_their_way |= message_ids

    def finished(self, message_ids: set[str]) -> None:
        self.on_their_way -= message_ids

    def in_flight(self, message_id: str) -> bool:
        return message_id in self.on_their_way

    async def wait_turn(self, channel: Channel) -> None:
        self.turns[channel.id] += 1

    def window_turn(self, channel: Channel) -> contextlib.nullcontext[None]:
        return contextlib.nullcontext()

    def throttled(self, channel: Channel) -> None:
        self.throttles[channel.id] += 1


class FakeStatusInbox:
    def __init__(self) -> None:
        self.waiting: dict[tuple[str, str], StatusReport] = {}

    async def add(self, reports: Sequence[StatusReport]) -> None:
        for report in reports:
            self.waiting.setdefault((report.message_id, report.status), report)

    async def take(self, limit: int) -> list[StatusReport]:
        return list(self.waiting.values())[:limit]

    async def done(self, reports: Sequence[StatusReport]) -> None:
        for report in reports:
            self.waiting.pop((report.message_id, report.status), None)

    async def postpone(self, reports: Sequence[StatusReport], seconds: float) -> None:
        """Counted, and put behind the others (the fake has no clock of its own)."""
        for report in reports:
            self.waiting.pop((report.message_id, report.status), None)
            later = replace(report, tries=report.tries + 1)
            self.waiting[(report.message_id, report.status)] = later


class FakeProviderIds:
    def __init__(self) -> None:
        self.refs: dict[str, str] = {}

    async def add(self, refs: Mapping[str, str]) -> None:
        for ref, ours in refs.items():
            self.refs.setdefault(ref, ours)

    async def lookup(self, refs: Sequence[str]) -> dict[str, str]:
        return {ref: self.refs[ref] for ref in refs if ref in self.refs}


class FakeInboundRepository:
    """`published`: each new message's event, in order."""

    def __init__(self) -> None:
        self.messages: dict[str, InboundMessage] = {}
        self.published: list[InboundMessageReceived] = []

    async def add(self, message: InboundMessage) -> bool:
        if message.id in self.messages:
            return False
        self.messages[message.id] = message
        self.published.append(message.event())
        return True


class FakeSingleMessageRepository:
    """`published`: the events of every change saved, in order."""

    def __init__(self) -> None:
        self.messages: dict[str, SingleMessage] = {}
        self.published: list[EventPayload] = []

    async def add(self, message: SingleMessage) -> bool:
        if message.id in self.messages:
            return False
        self.messages[message.id] = _copy_message(message)
        return True

    async def get(self, message_id: str) -> SingleMessage | None:
        message = self.messages.get(message_id)
        return _copy_message(message) if message else None

    async def channels_waiting(self) -> list[str]:
        return sorted({m.channel_id for m in self.messages.values() if m.due_at is not None})

    async def waiting_on(self, channel_id: str, now: datetime, limit: int) -> list[SingleMessage]:
        mine = [m for m in self.messages.values() if m.channel_id == channel_id]
        due = [m for m in mine if m.due_at is not None and m.due_at <= now]
        due.sort(key=lambda m: (m.due_at or now, m.id))
        return [_copy_message(m) for m in due[:limit]]

    async def has_waiting(self, channel_id: str) -> bool:
        return any(m.channel_id == channel_id and m.due_at is not None
                   for m in self.messages.values())  # fmt: skip

    async def save(self, message: SingleMessage, expected_version: int) -> bool:
        stored = self.messages.get(message.id)
        if stored is None or stored.version != expected_version:
            return False
        message.version = expected_version + 1
        self.published.extend(message.events)
        message.events.clear()
        self.messages[message.id] = _copy_message(message)
        return True


def _copy_message(message: SingleMessage) -> SingleMessage:
    return replace(message, recipient=replace(message.recipient), events=[])


@dataclass
class FakeDispatcher:
    uow: DispatcherUnitOfWork
    channels: FakeChannelRepository
    templates: FakeTemplateRepository
    audience: FakeAudienceProjection
    broadcasts: FakeBroadcastRepository
    status_inbox: FakeStatusInbox
    provider_ids: FakeProviderIds
    organizations: FakeOrganizationCopies
    inbound: FakeInboundRepository
    single_messages: FakeSingleMessageRepository
    providers: FakeProviders
    pacer: CountingPacer
    clock: FakeClock
    bus: MessageBus


def build_fake_dispatcher(send_window: int = 50) -> FakeDispatcher:
    channels, audience, clock = FakeChannelRepository(), FakeAudienceProjection(), FakeClock(T0)
    broadcasts, providers, pacer = FakeBroadcastRepository(), FakeProviders(), CountingPacer(clock)
    status_inbox, provider_ids = FakeStatusInbox(), FakeProviderIds()
    organizations, templates = FakeOrganizationCopies(), FakeTemplateRepository()
    inbound, single_messages = FakeInboundRepository(), FakeSingleMessageRepository()
    uow = DispatcherUnitOfWork(
        channels=channels,
        templates=templates,
        audience=audience,
        broadcasts=broadcasts,
        status_inbox=status_inbox,
        provider_ids=provider_ids,
        organizations=organizations,
        inbound=inbound,
        single_messages=single_messages,
        send_window=send_window,
        clock=clock,
        new_id=SequentialIds("id"),
    )
    return FakeDispatcher(
        uow=uow,
        channels=channels,
        templates=templates,
        audience=audience,
        broadcasts=broadcasts,
        status_inbox=status_inbox,
        provider_ids=provider_ids,
        organizations=organizations,
        inbound=inbound,
        single_messages=single_messages,
        providers=providers,
        pacer=pacer,
        clock=clock,
        bus=build_bus(uow, providers, pacer),
    )


# Messages as the other services send them, and channels as an admin makes them.

WHATSAPP_SETTINGS = {
    "config": {"phone_number_id": "1"},
    "secrets": {"access_token": "t", "app_secret": "a", "verify_token": "v"},
}
HTTP_SETTINGS = {"config": {"url": "http://127.0.0.1:9/send"}, "secrets": {"signing_key": "k"}}


async def deliver(service: FakeDispatcher, event: EventPayload, sequence: int = 1) -> None:
    await service.bus.handle(received(event, ADMIN.org_id, sequence=sequence))


async def created(service: FakeDispatcher, contact_id: str, phone: str, **options: Any) -> None:
    await deliver(service, contact_created(contact_id, contact_id, phone, **options))


async def group(service: FakeDispatcher, group_id: str, *members: str, **options: Any) -> None:
    await deliver(service, group_created(group_id, group_id, **options))
    if members:
        await deliver(service, membership_changed(group_id, added=members), sequence=2)


async def channel(service: FakeDispatcher, type: str = "log", **settings: Any) -> str:
    if type == "whatsapp_cloud":
        settings = WHATSAPP_SETTINGS | settings
    elif type == "http":
        settings = HTTP_SETTINGS | settings
    made = await service.bus.handle(
        CreateChannel(by=ADMIN, type=type, name=type, settings=settings)
    )
    return str(made.id)


async def template(service: FakeDispatcher, variants: Mapping[str, str], **parameters: Any) -> str:
    """A template named `t` (parameters by name: `**{"1": "@contact.name"}`)."""
    made = await service.bus.handle(
        CreateTemplate(by=ADMIN, name="t", category="utility", variants=dict(variants),
                       parameters=parameters)
    )  # fmt: skip
    return str(made.id)
