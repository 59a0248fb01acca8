"""The dispatcher's ports: what its handlers need from the outside, as protocols. The adapters
(`adapters/`) serve them on MongoDB; the fakes in `tests/fakes/dispatcher.py` in memory."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from services.dispatcher.domain.audience import AudienceContact, AudienceGroup
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


class AudienceProjection(Protocol):
    """The dispatcher's copies of contacts and groups, and who is in which group, projected
    from the contacts and groups services' events. Contacts' `groups` and the membership
    index are written only by `apply_membership` and `delete_group`, in the group's event
    order; contact events never touch them."""

    async def get_contacts(self, org_id: str, ids: Sequence[str]) -> dict[str, AudienceContact]:
        """The organisation's copies of these contacts, placeholders included."""
        ...

    async def add_contacts(self, contacts: Sequence[AudienceContact]) -> set[str]:
        """Inserts new copies with their groups; returns the ids already there."""
        ...

    async def save_contacts(self, contacts: Sequence[AudienceContact]) -> None:
        """Writes each copy's state but its groups, unless the stored copy is as new."""
        ...

    async def get_groups(self, org_id: str, ids: Sequence[str]) -> dict[str, AudienceGroup]:
        """The organisation's groups among `ids`, deleted ones left out."""
        ...

    async def blacklisted_groups(self, org_id: str) -> frozenset[str]: ...

    async def save_group(self, group: AudienceGroup) -> None:
        """The group's state (name, blacklisted, staff), unless a newer one is stored."""
        ...

    async def delete_group(self, org_id: str, group_id: str) -> None:
        """Marks the group deleted, then takes it out of every contact."""
        ...

    async def applied_seq(self, group_id: str) -> int: ...

    async def apply_membership(
        self, org_id: str, group_id: str, added: Sequence[str], removed: Sequence[str]
    ) -> None:
        """Idempotent: contacts not copied yet are entered as placeholders."""
        ...

    async def record_applied(self, group_id: str, sequence: int) -> None: ...

    async def members_page(self, group_id: str, after: str | None, limit: int) -> list[str]:
        """Member ids in id order, after `after`."""
        ...
