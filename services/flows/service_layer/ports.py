"""The flows service's ports: what its handlers need from the outside, as protocols. The
adapters (`adapters/`) serve them on MongoDB; the fakes in `tests/fakes/flows.py` in memory.
Its audience copy (contacts, groups, memberships) is the port shared with the dispatcher
(`shared.contracts.audience_copy`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

from services.flows.domain.conversation import ConversationMessage, OutboundChange


class ConversationRepository(Protocol):
    """Every contact's messages, inbound and outbound, read newest first."""

    async def record_outbound(self, changes: Sequence[OutboundChange]) -> None:
        """Enters each message not seen yet, keeps what it said, and moves its status forward
        only (a change at or below the stored one's rank changes nothing). Idempotent."""
        ...

    async def record_inbound(self, messages: Sequence[ConversationMessage]) -> None:
        """Stores each message once (a repeat changes nothing)."""
        ...

    async def attach(self, org_id: str, senders: Mapping[str, str]) -> None:
        """Gives the inbound messages waiting for a sender (by phone) to the contact now known
        to hold that phone (`senders`: phone -> contact id)."""
        ...

    async def page(
        self, org_id: str, contact_id: str, before: tuple[datetime, str] | None, limit: int
    ) -> list[ConversationMessage]:
        """The contact's messages newest first (time, then id), older than `before`."""
        ...

    async def has_messages(self, org_id: str, contact_id: str) -> bool: ...

    async def forget_contacts(self, org_id: str, contact_ids: Sequence[str]) -> None:
        """Deletes every message of these contacts (deleted or anonymized: what they were told
        and what they wrote goes with them)."""
        ...
