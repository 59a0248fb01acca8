"""A contact's conversation: the messages the organisation sent them (broadcasts today, flows
later) and, once inbound messages arrive, the ones they sent, newest first.

The flows service keeps it from the dispatcher's events (`roster.messages`, keyed by contact,
so one contact's arrive in order). An outbound message's status only moves forward (sent <
delivered < read; failed instead of delivered): an event redelivered after a newer one, or
read again after a crash, never moves the copy back (`rank`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from shared.contracts.messages import (
    MessageDelivered,
    MessageFailed,
    MessageRead,
    MessageSent,
)

MessageEvent = MessageSent | MessageDelivered | MessageRead | MessageFailed
Direction = Literal["in", "out"]

# How far along a message is: a report of a status at or below the copy's changes nothing.
# The dispatcher never publishes `failed` after `delivered`, so the two share a rank.
_RANK = {"sent": 1, "delivered": 2, "failed": 2, "read": 3}
_STATUS = {
    MessageSent: "sent",
    MessageDelivered: "delivered",
    MessageRead: "read",
    MessageFailed: "failed",
}


@dataclass(frozen=True)
class ConversationMessage:
    """One message of a contact's conversation, as the history shows it."""

    id: str
    org_id: str
    contact_id: str
    direction: Direction
    channel_id: str
    status: str
    at: datetime  # sent or received
    updated_at: datetime  # its last status
    text: str | None = None  # None: sent before the dispatcher's events said it
    broadcast_id: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class OutboundChange:
    """What one of the dispatcher's message events says of a message: the status it reached,
    and (`MessageSent`) what it said."""

    message_id: str
    org_id: str
    contact_id: str
    channel_id: str
    broadcast_id: str | None
    status: str
    rank: int
    at: datetime
    text: str | None = None
    reason: str | None = None

    @classmethod
    def of(cls, event: MessageEvent, org_id: str) -> OutboundChange:
        status = _STATUS[type(event)]
        return cls(
            message_id=event.message_id,
            org_id=org_id,
            contact_id=event.contact_id,
            channel_id=event.channel_id,
            broadcast_id=event.broadcast_id or None,
            status=status,
            rank=_RANK[status],
            at=event.at,
            text=event.text if isinstance(event, MessageSent) else None,
            reason=event.reason if isinstance(event, MessageFailed) else None,
        )
