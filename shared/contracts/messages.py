"""Events published by the dispatcher on `roster.messages`: a broadcast's start and end (keyed
by the broadcast id) and what happened to each message, a broadcast's or a single one asked
for with `SendMessage` (keyed by the contact id, so one contact's messages stay in order with
each other).

A message's events follow its status, which only moves forward: `MessageSent`, then
`MessageDelivered`, then `MessageRead`; `MessageFailed` instead of the later ones. A status
report that would move a message back publishes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import Field

from shared.contracts.envelope import EventPayload
from shared.contracts.topics import MESSAGES

BroadcastEndName = Literal["completed", "cancelled", "failed"]


class _BroadcastEvent(EventPayload):
    topic: ClassVar[str] = MESSAGES.name

    broadcast_id: str
    channel_id: str


class BroadcastStarted(_BroadcastEvent):
    """Its recipients are fixed: sending begins."""

    event_type: ClassVar[str] = "BroadcastStarted"

    audience: int = Field(description="Contacts named, each once")
    will_receive: int
    excluded: dict[str, int] = Field(description="Contacts left out, by reason")
    started_at: datetime


class BroadcastCompleted(_BroadcastEvent):
    """The broadcast ended: every recipient handed over (or skipped), cancelled, or failed."""

    event_type: ClassVar[str] = "BroadcastCompleted"

    state: BroadcastEndName
    failure: str | None = None
    finished_at: datetime


class _MessageEvent(EventPayload):
    topic: ClassVar[str] = MESSAGES.name

    message_id: str = Field(description="The same on every attempt: the provider's idempotency key")
    contact_id: str
    broadcast_id: str | None = Field(
        description="The broadcast it belongs to; null for a single message (`SendMessage`)"
    )
    channel_id: str
    at: datetime


class MessageSent(_MessageEvent):
    event_type: ClassVar[str] = "MessageSent"

    provider_message_id: str | None
    text: str | None = Field(
        default=None,
        description="What the contact was told (a template's variant with its values filled "
        "in); absent when the message was reported sent before the dispatcher's own answer",
    )


class MessageDelivered(_MessageEvent):
    event_type: ClassVar[str] = "MessageDelivered"


class MessageRead(_MessageEvent):
    event_type: ClassVar[str] = "MessageRead"


class MessageFailed(_MessageEvent):
    event_type: ClassVar[str] = "MessageFailed"

    reason: str | None = Field(description="The provider's, or the dispatcher's when it gave up")
