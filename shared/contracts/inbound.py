"""Events published by the dispatcher on `roster.inbound`: messages contacts sent to one of
the organisation's channels (an `http` gateway's inbound call, WhatsApp's webhook). Each is
published once per provider message id, however often the provider delivered it, keyed by
the sender (`<org>:<phone>`), so one person's messages stay in order.

The sender is named by phone only: the dispatcher does not decide who they are. The contacts
service finds or creates the contact and marks it seen; the flows service keeps the message
in the contact's conversation and reacts to it (keywords, flows).
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import Field

from shared.contracts.envelope import EventPayload
from shared.contracts.topics import INBOUND


class InboundMessageReceived(EventPayload):
    topic: ClassVar[str] = INBOUND.name
    event_type: ClassVar[str] = "InboundMessageReceived"

    message_id: str = Field(description="Ours: the channel and the provider's id, stable")
    channel_id: str
    phone: str = Field(description="The sender, E.164")
    text: str | None = Field(description="What they wrote; None for media without a caption")
    kind: str = Field(description="text, or the provider's type: image, audio, location, ...")
    provider_message_id: str
    sender_name: str | None = Field(default=None, description="The profile name, if given")
    received_at: datetime
