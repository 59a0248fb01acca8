"""An `http` channel whose provider is played by a real HTTP server on loopback
(`fake_provider.running_provider`): what contacts write comes in through the dispatcher's
signed inbound endpoint, what Roster sends is what the provider accepted."""

from __future__ import annotations

import json

import httpx

from services.dispatcher.domain.channels import signature
from tests.support.fake_provider import FakeProvider

SIGNING_KEY = "gateway-signing-key-0123456789"


async def http_channel(
    dispatcher_client: httpx.AsyncClient,
    headers: dict[str, str],
    provider: FakeProvider,
    tps: int = 20,
) -> str:
    channel = await dispatcher_client.post(
        "/v1/channels",
        json={"type": "http", "name": "Gateway", "tps": tps, "config": {"url": provider.url},
              "secrets": {"signing_key": SIGNING_KEY}},
        headers=headers,
    )  # fmt: skip
    assert channel.status_code == 201, channel.text
    return str(channel.json()["id"])


class Gateway:
    """The channel's inbound side: each message signed as the provider signs it."""

    def __init__(self, client: httpx.AsyncClient, channel_id: str) -> None:
        self.client, self.channel_id, self.sent = client, channel_id, 0

    async def inbound(self, phone: str, text: str) -> None:
        self.sent += 1
        message_id = f"gw-{self.channel_id}-{self.sent}"
        body = json.dumps({"from": phone, "text": text, "provider_message_id": message_id})
        raw = body.encode()
        answer = await self.client.post(
            f"/v1/channels/{self.channel_id}/inbound", content=raw,
            headers={"X-Roster-Signature": signature(raw, SIGNING_KEY)},
        )  # fmt: skip
        assert answer.status_code == 202 and answer.json()["accepted"] == 1, answer.text


def texts_to(provider: FakeProvider, phone: str) -> list[str]:
    """What the provider accepted for this phone, in order."""
    return [r.body["text"] for r in provider.accepted if r.to == phone]


async def received_by(provider: FakeProvider, phone: str) -> list[str]:
    return texts_to(provider, phone)
