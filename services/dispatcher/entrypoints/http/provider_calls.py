"""What every call from a provider shares: it carries no token of an organisation and proves
itself with the HMAC of its body under the channel's secret (401 `bad_signature` otherwise)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from pydantic import BaseModel, ValidationError

from services.dispatcher.domain.channels import Channel, ChannelType, signed_by
from services.dispatcher.entrypoints.http.dependencies import Uow
from shared.http.errors import ApiError

NO_TOKEN: dict[str, Any] = {"security": []}


def documented(model: type[BaseModel]) -> dict[str, Any]:
    schema = {"content": {"application/json": {"schema": model.model_json_schema()}}}
    return NO_TOKEN | {"requestBody": {"required": True} | schema}


async def signed_call(uow: Uow, channel_id: str, kind: ChannelType, request: Request, header: str
                  ) -> tuple[Channel, bytes]:  # fmt: skip
    body = await request.body()
    channel = await uow.channels.find(channel_id)
    if channel is None or channel.type is not kind:
        raise ApiError(404, "channel_not_found", f"no such {kind.value} channel")
    if not signed_by(channel, body, request.headers.get(header)):
        raise ApiError(401, "bad_signature", f"{header} does not match the body")
    return channel, body


def invalid_body(exc: ValidationError, what: str) -> ApiError:
    errors = exc.errors(include_url=False, include_context=False, include_input=False)
    return ApiError(422, "validation_error", what, {"errors": errors})
