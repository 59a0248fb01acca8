"""What providers call: status reports of an `http` channel's messages. They carry no token of
an organisation; they prove themselves with `X-Roster-Signature`, the HMAC of the body under
the channel's signing key (401 `bad_signature` otherwise), and are applied in batches a moment
later (202)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.dispatcher.domain import commands
from services.dispatcher.domain.channels import SIGNATURE_HEADER, ChannelType, signed_by
from services.dispatcher.domain.recipients import StatusReport
from services.dispatcher.entrypoints.http.dependencies import Uow
from shared.http.dependencies import Bus
from shared.http.errors import ApiError

router = APIRouter(prefix="/v1/channels", tags=["provider callbacks"])


class Accepted(BaseModel):
    accepted: int = Field(description="Reports taken, applied a moment later")


class StatusBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    message_id: str = Field(max_length=300)
    status: Literal["sent", "delivered", "read", "failed"]
    reason: str | None = Field(default=None, max_length=200)


@router.post(
    "/{channel_id}/status",
    status_code=202,
    response_model=Accepted,
    openapi_extra={
        "security": [],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": StatusBody.model_json_schema()}},
        },
    },
)
async def channel_status(channel_id: str, request: Request, uow: Uow, bus: Bus) -> Accepted:
    """A provider's report on one message: `{message_id, status, reason?}`, signed."""
    body = await request.body()
    channel = await uow.channels.find(channel_id)
    if channel is None or channel.type is not ChannelType.HTTP:
        raise ApiError(404, "channel_not_found", "no such http channel")
    if not signed_by(channel, body, request.headers.get(SIGNATURE_HEADER)):
        raise ApiError(401, "bad_signature", f"{SIGNATURE_HEADER} does not match the body")
    try:
        report = StatusBody.model_validate_json(body)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_context=False, include_input=False)
        raise ApiError(422, "validation_error", "not a status report", {"errors": errors}) from None
    await bus.handle(
        commands.RecordStatusReports(
            channel_id=channel.id,
            reports=[StatusReport(report.message_id, report.status, report.reason)],
        )
    )
    return Accepted(accepted=1)
