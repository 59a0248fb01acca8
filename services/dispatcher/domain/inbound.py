"""Messages contacts send to a channel, as the dispatcher takes them from providers: checked,
the sender's number made E.164, and named by an id of our own that is the same however often
the provider delivers the message (`inbound_id`), so each is published once.

The dispatcher only takes them in: who the sender is (a contact found or created by phone)
is the contacts service's business, and what the message means (keywords, flows) the flows
service's. Both read the `InboundMessageReceived` this publishes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services.dispatcher.domain.errors import InvalidInbound
from shared.contracts.inbound import InboundMessageReceived
from shared.phone import InvalidPhone, normalize_phone

MAX_TEXT = 4096  # WhatsApp's limit on a text message's body
# A provider's clock ahead of ours by more than this is not believed: the message is dated now.
CLOCK_SKEW = timedelta(minutes=5)


def inbound_id(channel_id: str, provider_message_id: str) -> str:
    """Ours, from the channel and the provider's id: a repeat delivery names the same message.
    Hashed, so a provider's id of any length or alphabet makes a short `_id`."""
    digest = hashlib.sha256(provider_message_id.encode()).hexdigest()[:32]
    return f"in.{channel_id}.{digest}"


@dataclass(frozen=True)
class InboundReport:
    """One message as the provider gave it, before it is checked."""

    sender: str
    text: str | None
    provider_message_id: str
    received_at: datetime | None = None
    kind: str = "text"
    sender_name: str | None = None


@dataclass(frozen=True)
class InboundMessage:
    id: str
    org_id: str
    channel_id: str
    phone: str  # E.164
    text: str | None
    kind: str
    provider_message_id: str
    received_at: datetime
    sender_name: str | None = None

    @classmethod
    def of(
        cls,
        *,
        org_id: str,
        channel_id: str,
        sender: str,
        text: str | None,
        provider_message_id: str,
        received_at: datetime | None,
        now: datetime,
        kind: str = "text",
        sender_name: str | None = None,
    ) -> InboundMessage:
        """Refuses (`InvalidInbound`) a sender that is not a phone number, an empty provider
        id, a text message without text; dates it now when the provider gave no time or a
        time in the future."""
        if not provider_message_id.strip():
            raise InvalidInbound("a message needs the provider's id", field="provider_message_id")
        digits = sender.strip()
        if digits.isdigit():  # WhatsApp's `wa_id`: the number without its `+`
            digits = "+" + digits
        try:
            phone = normalize_phone(digits)
        except InvalidPhone as exc:
            raise InvalidInbound(f"the sender is not a phone number: {exc.message}",
                                 field="from") from None  # fmt: skip
        if kind == "text" and not (text or "").strip():
            raise InvalidInbound("a text message needs its text", field="text")
        if text is not None and len(text) > MAX_TEXT:
            raise InvalidInbound(f"a message is at most {MAX_TEXT} characters", field="text")
        if received_at is None or received_at.tzinfo is None or received_at > now + CLOCK_SKEW:
            received_at = now
        return cls(
            id=inbound_id(channel_id, provider_message_id),
            org_id=org_id,
            channel_id=channel_id,
            phone=phone,
            text=text,
            kind=kind,
            provider_message_id=provider_message_id,
            received_at=received_at,
            sender_name=(sender_name or "").strip()[:200] or None,
        )

    @property
    def sender_key(self) -> str:
        """What its event is keyed by: one sender's messages stay in order."""
        return f"{self.org_id}:{self.phone}"

    def event(self) -> InboundMessageReceived:
        return InboundMessageReceived(
            message_id=self.id,
            channel_id=self.channel_id,
            phone=self.phone,
            text=self.text,
            kind=self.kind,
            provider_message_id=self.provider_message_id,
            sender_name=self.sender_name,
            received_at=self.received_at,
        )


@dataclass
class InboundReceipt:
    accepted: int = 0  # new messages, published
    repeated: int = 0  # delivered before: nothing published again
    refused: list[dict[str, object]] = field(default_factory=list)  # by position, with why
