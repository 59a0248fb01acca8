"""The dispatcher's ports: what its handlers need from the outside, as protocols. The adapters
(`adapters/`) serve them on MongoDB; the fakes in `tests/fakes/dispatcher.py` in memory."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from services.dispatcher.domain.broadcasts import Broadcast
from services.dispatcher.domain.channels import Channel
from services.dispatcher.domain.inbound import InboundMessage
from services.dispatcher.domain.messages import Said
from services.dispatcher.domain.recipients import RecipientBucket, StatusReport
from services.dispatcher.domain.single_messages import SingleMessage
from services.dispatcher.domain.templates import Template


class ChannelRepository(Protocol):
    async def add(self, channel: Channel) -> None: ...

    async def get(self, org_id: str, channel_id: str) -> Channel | None:
        """The organisation's channel, unless deleted."""
        ...

    async def find(self, channel_id: str) -> Channel | None:
        """Any organisation's channel, unless deleted: for provider callbacks, which prove
        themselves by the channel's signing key, not by an organisation's token."""
        ...

    async def list(self, org_id: str) -> list[Channel]:
        """The organisation's channels (not deleted), oldest first."""
        ...

    async def save(self, channel: Channel, expected_version: int) -> bool:
        """Writes the channel if it is still at `expected_version`; False if another change
        came first."""
        ...


class TemplateRepository(Protocol):
    async def add(self, template: Template) -> None: ...

    async def get(self, org_id: str, template_id: str) -> Template | None:
        """The organisation's template, unless deleted."""
        ...

    async def list(self, org_id: str) -> list[Template]:
        """The organisation's templates (not deleted), by name."""
        ...

    async def save(self, template: Template, expected_version: int) -> bool:
        """Writes the template if it is still at `expected_version`."""
        ...


class SecretBox(Protocol):
    """Seals a channel's secrets for storage and opens them again. Keys come from settings;
    sealing uses the newest, opening tries each, so keys can be rotated."""

    def seal(self, secrets: Mapping[str, str]) -> str: ...

    def open(self, sealed: str) -> dict[str, str]: ...


class InboundRepository(Protocol):
    """Messages contacts sent, each stored once with its event (the outbox): a provider's
    repeat delivery finds it there and publishes nothing."""

    async def add(self, message: InboundMessage) -> bool:
        """Stores the message and its `InboundMessageReceived`; False if it was already in."""
        ...


class SingleMessageRepository(Protocol):
    """Single messages, each saved with the events of its change (the outbox), conditional on
    the version read."""

    async def add(self, message: SingleMessage) -> bool:
        """False if a message with its id is in already (the same command again)."""
        ...

    async def get(self, message_id: str) -> SingleMessage | None: ...

    async def channels_waiting(self) -> list[str]:
        """Channels with single messages queued or being sent."""
        ...

    async def waiting_on(self, channel_id: str, now: datetime, limit: int) -> list[SingleMessage]:
        """The channel's messages being sent, and its queued ones due by `now`, oldest first."""
        ...

    async def has_waiting(self, channel_id: str) -> bool:
        """Whether any is queued (due or not) or being sent."""
        ...

    async def save(self, message: SingleMessage, expected_version: int) -> bool:
        """Writes it (and its events) if still at `expected_version`; moves `version` on."""
        ...


class BroadcastRepository(Protocol):
    """Broadcasts and their recipient buckets. A broadcast's save and a bucket's save are each
    conditional on the version read: one sender per channel, and a lost race is retried."""

    async def add(self, broadcast: Broadcast) -> Broadcast:
        """Stores a new broadcast; with an idempotency key already used by the organisation,
        returns the broadcast stored under it instead."""
        ...

    async def get(self, org_id: str, broadcast_id: str) -> Broadcast | None: ...

    async def save(self, broadcast: Broadcast, expected_version: int) -> bool: ...

    async def page(
        self, org_id: str, after: tuple[datetime, str] | None, limit: int
    ) -> list[Broadcast]:
        """Newest first (creation time, then id), after `after`."""
        ...

    async def due(self, now: datetime) -> list[Broadcast]:
        """Scheduled broadcasts whose time came, and those left resolving (by a crash)."""
        ...

    async def sending_on(self, channel_id: str) -> list[Broadcast]:
        """The channel's broadcasts in `sending`, oldest first."""
        ...

    async def channels_sending(self) -> list[str]: ...

    async def clear_buckets(self, broadcast_id: str) -> None:
        """Drops what a crashed resolution left."""
        ...

    async def add_bucket(self, bucket: RecipientBucket) -> None: ...

    async def get_bucket(self, broadcast_id: str, n: int) -> RecipientBucket | None: ...

    async def open_bucket(
        self, broadcast_id: str, now: datetime, after: int | None = None
    ) -> RecipientBucket | None:
        """The first bucket (after bucket `after`) with recipients being sent, or queued and
        due by `now`."""
        ...

    async def has_open_bucket(self, broadcast_id: str) -> bool:
        """Whether any recipient is still queued or being sent, due or not."""
        ...

    async def save_bucket(self, bucket: RecipientBucket, expected_version: int) -> bool:
        """Writes the bucket if still at `expected_version`, and moves `bucket.version` on."""
        ...

    async def counts(self, broadcast_id: str) -> Counter[str]:
        """The recipients by status, summed over the buckets (always adding up to the
        recipients; while the broadcast sends, possibly a moment behind)."""
        ...

    async def settle_counts(self, broadcast_id: str) -> Counter[str]:
        """`counts` exactly as the buckets hold them, once a broadcast ended."""
        ...

    def buckets(self, broadcast_id: str) -> AsyncIterator[RecipientBucket]: ...


@dataclass(frozen=True)
class OutboundMessage:
    message_id: str  # the same on every attempt: the provider's idempotency key
    channel: Channel
    to: str
    said: Said  # its text and, for a template, the template call
    contact_id: str
    broadcast_id: str | None  # None: a single message


@dataclass(frozen=True)
class SendResult:
    """`sent` (the provider took it), `failed` (it refused it for good: `reason`), `retry`
    (throttled or unavailable: try again later, `throttled` says which), or `unknown` (it may
    have taken it, and cannot tell a repeat: not sent again)."""

    outcome: str
    provider_id: str | None = None
    reason: str | None = None
    throttled: bool = False
    delivered: bool = False  # known delivered at once (the log channel)


class Provider(Protocol):
    """One channel type's way of handing a message to the outside."""

    idempotent: bool  # repeats of a message id are dropped by the provider

    async def send(self, message: OutboundMessage) -> SendResult: ...


class Providers(Protocol):
    def for_channel(self, channel: Channel) -> Provider: ...


class Pacer(Protocol):
    """Holds each channel to its rate across all its broadcasts, slowing it down while the
    provider throttles."""

    async def wait_turn(self, channel: Channel) -> None: ...

    def window_turn(self, channel: Channel) -> AbstractAsyncContextManager[object]:
        """Held while a window starts its messages: the channel's windows start one after the
        other, so the next one waits ready with all its messages while the sender takes
        another (interleaved, they ran out together, and the channel idled during the take)."""
        ...

    def throttled(self, channel: Channel) -> None:
        """The provider answered "too many requests"."""
        ...

    def too_soon(self, channel: Channel, phone: str) -> float:
        """Seconds until the channel may send to this phone again (its `pair_interval_s`)."""
        ...

    def sent_to(self, channel: Channel, phone: str) -> None: ...

    def started(self, message_ids: set[str]) -> None:
        """These messages are on their way from this process (their window is `sending`)."""
        ...

    def finished(self, message_ids: set[str]) -> None: ...

    def in_flight(self, message_id: str) -> bool:
        """On its way from this process: a `sending` recipient that is not was left by a
        dispatcher that died."""
        ...


class StatusInbox(Protocol):
    """Status reports as they arrive, applied to the buckets in batches (`status_reports.py`):
    one bucket write per bucket per batch, however many reports it got."""

    async def add(self, reports: Sequence[StatusReport]) -> None:
        """Idempotent: a repeated report (same message, same status) is kept once."""
        ...

    async def take(self, limit: int) -> list[StatusReport]:
        """The oldest reports not applied yet."""
        ...

    async def done(self, reports: Sequence[StatusReport]) -> None: ...

    async def postpone(self, reports: Sequence[StatusReport], seconds: float) -> None:
        """Taken again no sooner than `seconds` from now, with one more try counted."""
        ...


class ProviderIds(Protocol):
    """Which of our messages a provider's own message id names (WhatsApp's `wamid`), for its
    status reports, which name only its own."""

    async def add(self, refs: Mapping[str, str]) -> None:
        """`provider_ref(channel, provider id)` -> our message id."""
        ...

    async def lookup(self, refs: Sequence[str]) -> dict[str, str]: ...
