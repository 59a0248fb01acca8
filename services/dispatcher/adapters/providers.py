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

Requests go out through one aiohttp session (`provider_session`). httpx, measured on this
machine against the fake provider, spent 2.0-2.3 ms of CPU per request one at a time and
3.9 ms with 50 in flight (16 ms with 200: its pool's bookkeeping grows with the requests
waiting); aiohttp 0.36-0.53 ms. At a channel's 200 messages/s that was most of a core.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import aiohttp

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


def provider_session(timeout_s: float) -> aiohttp.ClientSession:
    """The session every provider call goes through. Getting a connection (waiting for one
    of the pool's, or opening it) and each read are bounded apart, so that a request that
    never left (`NotSent`) can be told from one that may have reached the provider."""
    timeout = aiohttp.ClientTimeout(total=None, connect=timeout_s, sock_read=timeout_s)
    return aiohttp.ClientSession(timeout=timeout, raise_for_status=False)


@dataclass(frozen=True)
class Answer:
    status: int
    reason: str
    body: dict[str, Any]

    @property
    def is_success(self) -> bool:
        return 200 <= self.status < 300


class NotSent(Exception):
    """The request never left: no connection could be had or opened. Safe to try again."""


class NoAnswer(Exception):
    """The request may have reached the provider, but no answer came (a read timed out, the
    connection dropped)."""

    def __init__(self, kind: str, *, timed_out: bool) -> None:
        super().__init__(kind)
        self.timed_out = timed_out


async def post(session: aiohttp.ClientSession, url: str, body: bytes, headers: dict[str, str]
               ) -> Answer:  # fmt: skip
    try:
        async with session.post(url, data=body, headers=headers) as response:
            raw = await response.read()
            return Answer(response.status, response.reason or "", _parsed(raw))
    except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
        raise NotSent(type(exc).__name__) from exc
    except TimeoutError as exc:
        raise NoAnswer("timeout", timed_out=True) from exc
    except aiohttp.ClientError as exc:
        raise NoAnswer(type(exc).__name__, timed_out=False) from exc


def _parsed(raw: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(raw)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


class HttpProvider:
    idempotent = True

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session

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
            answer = await post(self._session, channel.config["url"], body, headers)
        except NoAnswer as exc:  # a repeat is dropped by its Idempotency-Key: retry
            if exc.timed_out:
                return SendResult("retry", reason="provider_timeout")
            return SendResult("retry", reason=f"provider_unreachable: {exc}")
        except NotSent as exc:
            return SendResult("retry", reason=f"provider_unreachable: {exc}")
        if answer.is_success:
            return SendResult("sent", provider_id=answer.body.get("id"))
        if answer.status == 429:
            return SendResult("retry", reason="throttled", throttled=True)
        if answer.status >= 500:
            return SendResult("retry", reason=f"provider_error_{answer.status}")
        reason = answer.body.get("reason") or f"refused_{answer.status}"
        return SendResult("failed", reason=str(reason)[:MAX_REASON])


class WhatsAppCloudProvider:
    """Meta's WhatsApp Cloud API: `POST {base_url}/{phone_number_id}/messages` with the
    channel's bearer token. It has no idempotency key, so a message that may have reached Meta
    is never sent again: one in flight when the dispatcher died, one without an answer (a read
    timeout, a dropped connection) and one answered 5xx are `unknown` until Meta's status says
    otherwise. Throttling answers (HTTP 429, or the codes Meta uses for rate and pair limits)
    slow the channel down and are retried, as are connections that never opened; any other
    error fails the message with Meta's code and title."""

    idempotent = False

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session

    async def send(self, message: OutboundMessage) -> SendResult:
        channel = message.channel
        url = f"{channel.config['base_url']}/{channel.config['phone_number_id']}/messages"
        body = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": message.to.removeprefix("+"),
            **_whatsapp_content(message),
        }
        headers = {
            "Authorization": f"Bearer {channel.secrets['access_token']}",
            "Content-Type": "application/json",
        }
        try:
            answer = await post(self._session, url, json.dumps(body).encode(), headers)
        except NotSent as exc:  # the request never left: safe to try again
            return SendResult("retry", reason=f"provider_unreachable: {exc}")
        except NoAnswer as exc:  # it may have reached Meta: sending again could repeat it
            return SendResult("unknown", reason=f"no_answer: {exc}")
        if answer.is_success:
            sent = answer.body.get("messages") or [{}]
            return SendResult("sent", provider_id=sent[0].get("id"))
        found = answer.body.get("error")
        error: dict[str, Any] = found if isinstance(found, dict) else {}
        code = error.get("code")
        reason = f"whatsapp_{code}: {error.get('message') or answer.reason}"[:MAX_REASON]
        if answer.status == 429 or code in WHATSAPP_THROTTLING:
            return SendResult("retry", reason=reason, throttled=True)
        if answer.status >= 500:  # Meta may have sent it: not sent again
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

    def __init__(self, session: aiohttp.ClientSession) -> None:
        providers: dict[ChannelType, Provider] = {
            ChannelType.LOG: LogProvider(),
            ChannelType.HTTP: HttpProvider(session),
            ChannelType.WHATSAPP_CLOUD: WhatsAppCloudProvider(session),
        }
        self._providers = {t: Counted(p, t) for t, p in providers.items()}

    def for_channel(self, channel: Channel) -> Provider:
        return self._providers[channel.type]
