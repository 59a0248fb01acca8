"""The dispatcher's ports: what its handlers need from the outside, as protocols. The adapters
(`adapters/`) serve them on MongoDB; the fakes in `tests/fakes/dispatcher.py` in memory."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from services.dispatcher.domain.channels import Channel


class ChannelRepository(Protocol):
    async def add(self, channel: Channel) -> None: ...

    async def get(self, org_id: str, channel_id: str) -> Channel | None:
        """The organisation's channel, unless deleted."""
        ...

    async def list(self, org_id: str) -> list[Channel]:
        """The organisation's channels (not deleted), oldest first."""
        ...

    async def save(self, channel: Channel, expected_version: int) -> bool:
        """Writes the channel if it is still at `expected_version`; False if another change
        came first."""
        ...


class SecretBox(Protocol):
    """Seals a channel's secrets for storage and opens them again. Keys come from settings;
    sealing uses the newest, opening tries each, so keys can be rotated."""

    def seal(self, secrets: Mapping[str, str]) -> str: ...

    def open(self, sealed: str) -> dict[str, str]: ...
