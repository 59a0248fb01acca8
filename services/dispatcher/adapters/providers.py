"""The channel types' providers: how a message leaves Roster.

- `log`: records the message in the service's log and reports it sent and delivered at once
  (development and benchmarks).
- `http`: POSTs `{message_id, to, text, broadcast_id, contact_id}` as JSON to the channel's
  `config.url`, with `Idempotency-Key: <message_id>` (so a repeat after a crash is dropped by
  the receiver) and `X-Roster-Signature: sha256=<hex HMAC-SHA256 of the body>` under the
  channel's `signing_key`. 2xx: sent (`id` of the answer, if any, is the provider's id);
  429: throttled, retried; 5xx, timeouts and connection errors: retried; other 4xx: failed with
  the answer's reason.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from services.dispatcher.domain.channels import SIGNATURE_HEADER, Channel, ChannelType, signature
from services.dispatcher.service_layer.ports import OutboundMessage, Provider, SendResult
from shared.logging import get_logger

log = get_logger(__name__)
MAX_REASON = 200


class LogProvider:
    idempotent = False

    async def send(self, message: OutboundMessage) -> SendResult:
        log.info("message_logged", message_id=message.message_id, to=message.to,
                 chars=len(message.text))  # fmt: skip
        return SendResult("sent", provider_id=message.message_id, delivered=True)


class HttpProvider:
    idempotent = True

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def send(self, message: OutboundMessage) -> SendResult:
        channel = message.channel
        body = json.dumps(
            {
                "message_id": message.message_id,
                "to": message.to,
                "text": message.text,
                "broadcast_id": message.broadcast_id,
                "contact_id": message.contact_id,
            },
            separators=(",", ":"),
        ).encode()
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": message.message_id,
            SIGNATURE_HEADER: signature(body, channel.secrets["signing_key"]),
        }
        try:
            response = await self._client.post(channel.config["url"], content=body, headers=headers)
        except httpx.TimeoutException:
            return SendResult("retry", reason="provider_timeout")
        except httpx.TransportError as exc:
            return SendResult("retry", reason=f"provider_unreachable: {type(exc).__name__}")
        if response.is_success:
            return SendResult("sent", provider_id=_answer(response).get("id"))
        if response.status_code == 429:
            return SendResult("retry", reason="throttled", throttled=True)
        if response.status_code >= 500:
            return SendResult("retry", reason=f"provider_error_{response.status_code}")
        reason = _answer(response).get("reason") or f"refused_{response.status_code}"
        return SendResult("failed", reason=str(reason)[:MAX_REASON])


def _answer(response: httpx.Response) -> dict[str, Any]:
    try:
        parsed = response.json()
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


class ChannelProviders:
    """One provider per channel type; `whatsapp_cloud` is next (issue 16)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._log = LogProvider()
        self._http = HttpProvider(client)

    def for_channel(self, channel: Channel) -> Provider:
        if channel.type is ChannelType.HTTP:
            return self._http
        if channel.type is ChannelType.LOG:
            return self._log
        raise NotImplementedError(f"sending over {channel.type.value} is not built yet")
