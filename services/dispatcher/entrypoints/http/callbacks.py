"""What providers call: status reports of the messages a channel sent. They carry no token of
an organisation; they prove themselves with the HMAC of the body under the channel's secret
(401 `bad_signature` otherwise), and are applied in batches a moment later (202).

- `http` channels: `POST /v1/channels/{id}/status` `{message_id, status, reason?}` with
  `X-Roster-Signature`.
- `whatsapp_cloud` channels: Meta's webhook at `/v1/channels/{id}/webhook`: the verification
  handshake (`GET`, `hub.verify_token`), then notifications (`POST`, signed
  `X-Hub-Signature-256` with the app's secret): statuses naming messages by Meta's own ids,
  and messages contacts sent (taken by `inbound.py`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import structlog
from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.dispatcher.domain import commands
from services.dispatcher.domain.channels import (
    SIGNATURE_HEADER,
    WHATSAPP_SIGNATURE_HEADER,
    ChannelType,
    verifies_webhook,
)
from services.dispatcher.domain.recipients import PROVIDER_REF, StatusReport, provider_ref
from services.dispatcher.entrypoints.http.dependencies import Uow
from services.dispatcher.entrypoints.http.inbound import receive, whatsapp_reports
from services.dispatcher.entrypoints.http.provider_calls import (
    NO_TOKEN,
    documented,
    invalid_body,
    signed_call,
)
from shared.http.dependencies import Bus
from shared.http.errors import ApiError

router = APIRouter(prefix="/v1/channels", tags=["provider callbacks"])
STATUSES = ("sent", "delivered", "read", "failed")
log = structlog.get_logger()


class Accepted(BaseModel):
    accepted: int = Field(description="Reports taken, applied a moment later")


class StatusBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    message_id: str = Field(max_length=300)
    status: Literal["sent", "delivered", "read", "failed"]
    reason: str | None = Field(default=None, max_length=200)


@router.post("/{channel_id}/status", status_code=202, response_model=Accepted,
             openapi_extra=documented(StatusBody))  # fmt: skip
async def channel_status(channel_id: str, request: Request, uow: Uow, bus: Bus) -> Accepted:
    """An http channel's report on one message: `{message_id, status, reason?}`, signed."""
    channel, body = await signed_call(uow, channel_id, ChannelType.HTTP, request, SIGNATURE_HEADER)
    try:
        report = StatusBody.model_validate_json(body)
    except ValidationError as exc:
        raise invalid_body(exc, "not a status report") from None
    if report.message_id.startswith(PROVIDER_REF):
        raise ApiError(422, "unknown_message", "not a message id of this channel")
    reports = [StatusReport(report.message_id, report.status, report.reason,
                            channel_id=channel.id)]  # fmt: skip
    await bus.handle(commands.RecordStatusReports(channel_id=channel.id, reports=reports))
    return Accepted(accepted=1)


PLAIN_TEXT: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/plain": {"schema": {"type": "string"}}}}
}


@router.get("/{channel_id}/webhook", openapi_extra=NO_TOKEN, response_model=None,
            responses=PLAIN_TEXT)  # fmt: skip
async def verify_webhook(
    channel_id: str,
    uow: Uow,
    mode: Annotated[str | None, Query(alias="hub.mode", max_length=50)] = None,
    token: Annotated[str | None, Query(alias="hub.verify_token", max_length=500)] = None,
    challenge: Annotated[str | None, Query(alias="hub.challenge", max_length=500)] = None,
) -> PlainTextResponse:
    """Meta's handshake when the webhook is registered: signed with the channel's
    `verify_token`, answered with the challenge (403 `verification_failed` otherwise)."""
    channel = await uow.channels.find(channel_id)
    if channel is None or not verifies_webhook(channel, mode, token) or challenge is None:
        raise ApiError(403, "verification_failed", "the verify token does not match")
    return PlainTextResponse(challenge)


class _WhatsAppStatus(BaseModel):
    id: str = Field(max_length=300)
    status: str = Field(max_length=30)
    errors: list[dict[str, Any]] = Field(default_factory=list)


class _WhatsAppValue(BaseModel):
    statuses: list[_WhatsAppStatus] = Field(default_factory=list)
    # Read one by one (`inbound.whatsapp_reports`): one odd message never loses the others.
    messages: list[dict[str, Any]] = Field(default_factory=list, max_length=1000)
    contacts: list[dict[str, Any]] = Field(default_factory=list, max_length=1000)


class _WhatsAppChange(BaseModel):
    value: _WhatsAppValue = Field(default_factory=_WhatsAppValue)


class _WhatsAppEntry(BaseModel):
    changes: list[_WhatsAppChange] = Field(default_factory=list)


class WhatsAppNotification(BaseModel):
    """The part of Meta's notification this reads: statuses of our messages, and messages
    contacts sent (with their profile names)."""

    object: str = Field(max_length=100)
    entry: list[_WhatsAppEntry] = Field(default_factory=list, max_length=1000)


class WebhookAnswer(BaseModel):
    accepted: int = Field(description="Status reports taken, applied a moment later")
    messages: int = Field(description="Messages contacts sent, new, published")
    repeated: int = Field(description="Messages delivered before: nothing published again")
    refused: int = Field(description="Messages that could not be read (logged)")


@router.post("/{channel_id}/webhook", status_code=202, response_model=WebhookAnswer,
             openapi_extra=documented(WhatsAppNotification))  # fmt: skip
async def whatsapp_webhook(channel_id: str, request: Request, uow: Uow, bus: Bus) -> WebhookAnswer:
    """Meta's notifications for a whatsapp_cloud channel, signed `X-Hub-Signature-256`."""
    channel, body = await signed_call(
        uow, channel_id, ChannelType.WHATSAPP_CLOUD, request, WHATSAPP_SIGNATURE_HEADER
    )
    try:
        note = WhatsAppNotification.model_validate_json(body)
    except ValidationError as exc:
        raise invalid_body(exc, "not a WhatsApp notification") from None
    values = [change.value for entry in note.entry for change in entry.changes]
    reports = [
        StatusReport(provider_ref(channel.id, s.id), s.status, _reason(s), channel_id=channel.id)
        for value in values for s in value.statuses if s.status in STATUSES
    ]  # fmt: skip
    if reports:
        await bus.handle(commands.RecordStatusReports(channel_id=channel.id, reports=reports))
    inbound, unreadable = whatsapp_reports(
        [m for v in values for m in v.messages], [c for v in values for c in v.contacts]
    )
    receipt = await receive(bus, channel, inbound, strict=False)
    refused = unreadable + len(receipt.refused)
    if refused:
        log.warning("whatsapp_messages_refused", channel_id=channel.id, refused=refused,
                    reasons=receipt.refused[:10])  # fmt: skip
    return WebhookAnswer(accepted=len(reports), messages=receipt.accepted,
                         repeated=receipt.repeated, refused=refused)  # fmt: skip


def _reason(status: _WhatsAppStatus) -> str | None:
    if not status.errors:
        return None
    error = status.errors[0]
    return f"whatsapp_{error.get('code')}: {error.get('title') or error.get('message')}"[:200]
