"""The channel types' providers: how a message leaves Roster.

- `whatsapp_cloud`: Meta's Cloud API (see `WhatsAppCloudProvider`).
- `log`: records the message in the service's log and reports it sent and delivered at once
  (development and benchmarks).
- `http`: POSTs `{message_id, to, text, template?, broadcast_id, contact_id}` as JSON to the
  channel's
  `config.url` (`template`, for a template: `{name, language, parameters: {name: value}}`, the
  text being its variant with the values in place), with `Idempotency-Key: <message_id>` (so a
  repeat after a crash is dropped by
  the receiver) and `X-Roster-Signature: sha256=<hex HMAC-SHA256 of the body>` under the
  channel's `signing_key`. 2xx: sent (`id` of the answer, if any, is the provider's id);
  429: throttled, retried; 5xx, timeouts and connection errors: retried; other 4xx: failed with
  the answer's reason.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from services.dispatcher.adapters.metrics import MESSAGES_HANDED
from services.dispatcher.domain.channels import SIGNATURE_HEADER, Channel, ChannelType, signature
from services.dispatcher.service_layer.ports import OutboundMessage, Provider, SendResult
from shared.languages import shortest_tag
from shared.logging import get_logger

log = get_logger(__name__)
MAX_REASON = 200


class LogProvider:
    idempotent = False

    async def send(self, message: OutboundMessage) -> SendResult:
        log.info("message_logged", message_id=message.message_id, to=message.to,
                 chars=len(message.said.text))  # fmt: skip
        return SendResult("sent", provider_id=message.message_id, delivered=True)


class HttpProvider:
    idempotent = True

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def send(self, message: OutboundMessage) -> SendResult:
        channel = message.channel
        payload: dict[str, Any] = {
            "message_id": message.message_id,
            "to": message.to,
            "text": message.said.text,
            "broadcast_id": message.broadcast_id,
            "contact_id": message.contact_id,
        }
        if (call := message.said.template) is not None:
            payload["template"] = {
                "name": call.name,
                "language": call.language,
                "parameters": dict(call.parameters),
            }
        body = json.dumps(payload, separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": message.message_id,
            SIGNATURE_HEADER: signature(body, channel.secrets["signing_key"]),
        }
        try:
            response = await self._client.post(channel.config["url"], content=body, headers=headers)
        except httpx.TimeoutException:
            return SendResult("retry", reason="provider_timeout")
        except httpx.HTTPError as exc:  # a repeat is dropped by its Idempotency-Key: retry
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


class WhatsAppCloudProvider:
    """Meta's WhatsApp Cloud API: `POST {base_url}/{phone_number_id}/messages` with the
    channel's bearer token. It has no idempotency key, so a message that may have reached Meta
    is never sent again: one in flight when the dispatcher died, one without an answer (a read
    timeout, a dropped connection) and one answered 5xx are `unknown` until Meta's status says
    otherwise. Throttling answers (HTTP 429, or the codes Meta uses for rate and pair limits)
    slow the channel down and are retried, as are connections that never opened; any other
    error fails the message with Meta's code and title."""

    idempotent = False

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def send(self, message: OutboundMessage) -> SendResult:
        channel = message.channel
        url = f"{channel.config['base_url']}/{channel.config['phone_number_id']}/messages"
        body = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": message.to.removeprefix("+"),
            **_whatsapp_content(message),
        }
        headers = {"Authorization": f"Bearer {channel.secrets['access_token']}"}
        try:
            response = await self._client.post(url, json=body, headers=headers)
        except NOT_SENT as exc:  # the request never left: safe to try again
            return SendResult("retry", reason=f"provider_unreachable: {type(exc).__name__}")
        except httpx.HTTPError as exc:  # it may have reached Meta: sending again could repeat it
            return SendResult("unknown", reason=f"no_answer: {type(exc).__name__}")
        answer = _answer(response)
        if response.is_success:
            sent = answer.get("messages") or [{}]
            return SendResult("sent", provider_id=sent[0].get("id"))
        found = answer.get("error")
        error: dict[str, Any] = found if isinstance(found, dict) else {}
        code = error.get("code")
        reason = f"whatsapp_{code}: {error.get('message') or response.reason_phrase}"[:MAX_REASON]
        if response.status_code == 429 or code in WHATSAPP_THROTTLING:
            return SendResult("retry", reason=reason, throttled=True)
        if response.status_code >= 500:  # Meta may have sent it: not sent again
            return SendResult("unknown", reason=reason)
        return SendResult("failed", reason=reason)


def _whatsapp_content(message: OutboundMessage) -> dict[str, Any]:
    """A text message, or a template message: the template's name, its language as WhatsApp
    codes it (`en`, `sw`), and the body's parameters in order (named ones by name)."""
    call = message.said.template
    if call is None:
        return {"type": "text", "text": {"preview_url": False, "body": message.said.text}}
    template: dict[str, Any] = {
        "name": call.name,
        "language": {"code": shortest_tag(call.language)},
    }
    if call.parameters:
        parameters = [
            {"type": "text", "parameter_name": name, "text": value} if call.named
            else {"type": "text", "text": value}
            for name, value in call.parameters
        ]  # fmt: skip
        template["components"] = [{"type": "body", "parameters": parameters}]
    return {"type": "template", "template": template}


# Failures before the request was on its way to Meta.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# Meta's codes for "too many": app, account and number rate limits, the pair rate limit (one
# message per ~6 s to a person), spam rate limiting.
WHATSAPP_THROTTLING = frozenset({4, 80007, 130429, 131048, 131056, 133016})


class Counted:
    """A provider whose answers are counted (`roster_dispatcher_messages_total`)."""

    def __init__(self, provider: Provider, type: ChannelType) -> None:
        self._provider = provider
        self.idempotent = provider.idempotent
        self._type = type.value

    async def send(self, message: OutboundMessage) -> SendResult:
        result = await self._provider.send(message)
        MESSAGES_HANDED.labels(self._type, result.outcome).inc()
        return result


class ChannelProviders:
    """One provider per channel type."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        providers: dict[ChannelType, Provider] = {
            ChannelType.LOG: LogProvider(),
            ChannelType.HTTP: HttpProvider(client),
            ChannelType.WHATSAPP_CLOUD: WhatsAppCloudProvider(client),
        }
        self._providers = {t: Counted(p, t) for t, p in providers.items()}

    def for_channel(self, channel: Channel) -> Provider:
        return self._providers[channel.type]
