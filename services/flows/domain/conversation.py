"""A contact's conversation: the messages the organisation sent them (broadcasts today, flows
later) and the ones they sent, newest first.

The flows service keeps it from the dispatcher's events: `roster.messages` (keyed by contact,
so one contact's arrive in order) and `roster.inbound` (keyed by sender). An inbound message
names its sender by phone; it joins the conversation of the contact holding that phone in the
service's audience copy, or waits, unattributed, until the contacts service's `ContactCreated`
for a new number arrives (`attach`). A blocked contact's messages are kept, marked `ignored`.

An outbound message's status only moves forward (sent < delivered < read; failed instead of
delivered): an event redelivered after a newer one, or read again after a crash, never moves
the copy back (`rank`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from shared.contracts.audience_copy import AudienceContact
from shared.contracts.inbound import InboundMessageReceived
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
    contact_id: str | None  # None: an inbound message whose sender is not known here yet
    direction: Direction
    channel_id: str
    status: str
    at: datetime  # sent or received
    updated_at: datetime  # its last status
    text: str | None = None  # None: sent before the dispatcher's events said it
    broadcast_id: str | None = None
    reason: str | None = None
    phone: str | None = None  # the sender's, on inbound messages
    kind: str = "text"

    @classmethod
    def received(
        cls, event: InboundMessageReceived, org_id: str, sender: AudienceContact | None
    ) -> ConversationMessage:
        """An inbound message, in its sender's conversation (None: not known here yet)."""
        blocked = sender is not None and sender.status == "blocked"
        return cls(
            id=event.message_id,
            org_id=org_id,
            contact_id=sender.id if sender else None,
            direction="in",
            channel_id=event.channel_id,
            status="ignored" if blocked else "received",
            at=event.received_at,
            updated_at=event.received_at,
            text=event.text,
            phone=event.phone,
            kind=event.kind,
        )

    def attributed(self, sender: AudienceContact) -> ConversationMessage:
        """A message that waited for its sender, now known."""
        status = "ignored" if sender.status == "blocked" else self.status
        return replace(self, contact_id=sender.id, status=status)


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
