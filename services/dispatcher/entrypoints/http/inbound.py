"""What contacts send, as providers hand it to us (no token of an organisation: the channel's
signature vouches for it, 401 `bad_signature` otherwise):

- `http` channels: `POST /v1/channels/{id}/inbound` `{from, text, provider_message_id,
  received_at?}` with `X-Roster-Signature`; 202 `{accepted, repeated}`, or 422
  `invalid_inbound` naming the field (a sender that is not a phone number, no text).
- `whatsapp_cloud` channels: the `messages` of Meta's notifications (read beside their
  statuses by `callbacks.whatsapp_webhook`): text, and the text of buttons, list replies and
  media captions; other kinds are taken with their type and no text.

Each message is published once (`InboundMessageReceived`), however often it is delivered.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.dispatcher.domain import commands
from services.dispatcher.domain.channels import SIGNATURE_HEADER, Channel, ChannelType
from services.dispatcher.domain.inbound import InboundReceipt, InboundReport
from services.dispatcher.entrypoints.http.dependencies import Uow
from services.dispatcher.entrypoints.http.provider_calls import (
    documented,
    invalid_body,
    signed_call,
)
from shared.http.dependencies import Bus

router = APIRouter(prefix="/v1/channels", tags=["provider callbacks"])


class InboundBody(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    sender: str = Field(alias="from", max_length=40, description="The sender's phone number")
    text: str = Field(max_length=4096)
    provider_message_id: str = Field(max_length=300)
    received_at: datetime | None = None


class InboundAnswer(BaseModel):
    accepted: int = Field(description="New messages, published")
    repeated: int = Field(description="Delivered before: nothing published again")


@router.post("/{channel_id}/inbound", status_code=202, response_model=InboundAnswer,
             openapi_extra=documented(InboundBody))  # fmt: skip
async def channel_inbound(channel_id: str, request: Request, uow: Uow, bus: Bus) -> InboundAnswer:
    """A message a contact sent through an http channel's gateway, signed."""
    channel, body = await signed_call(uow, channel_id, ChannelType.HTTP, request, SIGNATURE_HEADER)
    try:
        given = InboundBody.model_validate_json(body)
    except ValidationError as exc:
        raise invalid_body(exc, "not an inbound message") from None
    report = InboundReport(given.sender, given.text, given.provider_message_id, given.received_at)
    receipt = await receive(bus, channel, [report], strict=True)
    return InboundAnswer(accepted=receipt.accepted, repeated=receipt.repeated)


async def receive(
    bus: Bus, channel: Channel, reports: list[InboundReport], *, strict: bool
) -> InboundReceipt:
    command = commands.ReceiveInbound(
        org_id=channel.org_id, channel_id=channel.id, messages=reports, strict=strict
    )
    receipt: InboundReceipt = await bus.handle(command)
    return receipt


# WhatsApp Cloud API: the `messages` and `contacts` of a notification's `value`


class WhatsAppProfile(BaseModel):
    name: str | None = Field(default=None, max_length=500)


class WhatsAppContact(BaseModel):
    wa_id: str = Field(max_length=40)
    profile: WhatsAppProfile = Field(default_factory=WhatsAppProfile)


class WhatsAppMessage(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    sender: str = Field(alias="from", max_length=40)
    id: str = Field(max_length=300)
    timestamp: str | None = Field(default=None, max_length=20)
    type: str = Field(default="text", max_length=40)

    def said(self) -> str | None:
        """The text of the message: a text's body, a button's text, an interactive reply's
        title, a media message's caption; None for anything else."""
        extra = self.model_extra or {}
        part: Any = extra.get(self.type)
        if not isinstance(part, dict):
            return None
        if self.type == "text":
            return _text(part.get("body"))
        if self.type == "button":
            return _text(part.get("text"))
        if self.type == "interactive":
            reply = part.get("button_reply") or part.get("list_reply") or {}
            return _text(reply.get("title")) if isinstance(reply, dict) else None
        return _text(part.get("caption"))

    def sent_at(self) -> datetime | None:
        if self.timestamp is None or not self.timestamp.isdigit():
            return None
        return datetime.fromtimestamp(int(self.timestamp), tz=UTC)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def whatsapp_reports(
    messages: list[dict[str, Any]], contacts: list[dict[str, Any]]
) -> tuple[list[InboundReport], int]:
    """The messages of a notification, and how many could not be read at all."""
    names: dict[str, str | None] = {}
    for raw in contacts:
        try:
            contact = WhatsAppContact.model_validate(raw)
        except ValidationError:
            continue
        names[contact.wa_id] = contact.profile.name
    reports, unreadable = [], 0
    for raw in messages:
        try:
            m = WhatsAppMessage.model_validate(raw)
        except ValidationError:
            unreadable += 1
            continue
        reports.append(InboundReport(m.sender, m.said(), m.id, m.sent_at(), kind=m.type,
                                     sender_name=names.get(m.sender)))  # fmt: skip
    return reports, unreadable
