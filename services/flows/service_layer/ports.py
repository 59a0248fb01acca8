"""The flows service's ports: what its handlers need from the outside, as protocols. The
adapters (`adapters/`) serve them on MongoDB; the fakes in `tests/fakes/flows.py` in memory.
Its audience copy (contacts, groups, memberships) is the port shared with the dispatcher
(`shared.contracts.audience_copy`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

from services.flows.domain.conversation import ConversationMessage, OutboundChange
from services.flows.domain.flows import Flow
from services.flows.domain.follow_ups import ConsentFollowUp
from services.flows.domain.keywords import KeywordSettings
from services.flows.domain.runs import FlowRun
from services.flows.domain.triggers import Trigger
from shared.contracts.envelope import EventPayload


class KeywordSettingsRepository(Protocol):
    async def get(self, org_id: str) -> KeywordSettings:
        """The organisation's settings; the defaults (version 0) until it saves its own."""
        ...

    async def save(self, settings: KeywordSettings, expected_version: int) -> bool:
        """Stores them as version `expected_version + 1` if still at `expected_version`."""
        ...


class ConversationRepository(Protocol):
    """Every contact's messages, inbound and outbound, read newest first."""

    async def record_outbound(self, changes: Sequence[OutboundChange]) -> None:
        """Enters each message not seen yet, keeps what it said, and moves its status forward
        only (a change at or below the stored one's rank changes nothing). Idempotent."""
        ...

    async def record_inbound(
        self,
        messages: Sequence[ConversationMessage],
        commands: Mapping[str, list[EventPayload]],
        follow_ups: Mapping[str, ConsentFollowUp],
    ) -> set[str]:
        """Stores each message once (a repeat changes nothing), the messages of known senders
        in their conversation with the commands they lead to (by message id, published with
        it: the outbox) and what they still owe (`follow_ups`, by message id), the others
        aside, waiting for their sender. Returns the ids of those in a conversation not routed
        yet (to a run or a trigger: `mark_routed`), new or left so by a crash."""
        ...

    async def mark_routed(self, message_ids: Sequence[str]) -> None:
        """These messages reached their run or trigger: a redelivery routes them no more."""
        ...

    async def pending_follow_ups(
        self, org_id: str, contact_ids: Sequence[str]
    ) -> list[ConsentFollowUp]:
        """What these contacts' keywords still owe, oldest first."""
        ...

    async def settle_follow_up(
        self, follow_up: ConsentFollowUp, commands: Sequence[EventPayload]
    ) -> None:
        """Publishes the commands with the message that owed them (the outbox) and marks it
        settled, once: a second call changes nothing."""
        ...

    async def waiting_for(self, org_id: str, phones: Sequence[str]) -> list[ConversationMessage]:
        """The inbound messages set aside from these phones, oldest first."""
        ...

    async def forget_waiting(self, message_ids: Sequence[str]) -> None:
        """Takes messages out of the waiting ones (once recorded in their conversation)."""
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


class FlowRepository(Protocol):
    async def add(self, flow: Flow) -> None: ...

    async def get(self, org_id: str, flow_id: str) -> Flow | None:
        """The organisation's flow, unless deleted."""
        ...

    async def page(self, org_id: str, after: str | None, limit: int) -> list[Flow]:
        """By id, after `after`."""
        ...

    async def save(self, flow: Flow, expected_version: int) -> bool:
        """Writes it if still at `expected_version`."""
        ...


class RunRepository(Protocol):
    """Runs, each saved with the commands of its move in its outbox, conditional on the
    version read; a contact has at most one active run (`active_for`)."""

    async def add(self, runs: Sequence[FlowRun]) -> set[str]:
        """New runs with their first commands; returns the ids refused (their contact has an
        active run already)."""
        ...

    async def get(self, org_id: str, run_id: str) -> FlowRun | None: ...

    async def existing(self, run_ids: Sequence[str]) -> set[str]:
        """Which of these runs are stored (ended or not)."""
        ...

    async def save(self, run: FlowRun, expected_version: int) -> bool:
        """Writes it and its commands if still at `expected_version`; moves `version` on."""
        ...

    async def active_for(self, org_id: str, contact_ids: Sequence[str]) -> dict[str, FlowRun]:
        """By contact: its waiting run."""
        ...

    async def started_since(
        self, org_id: str, flow_id: str, contact_ids: Sequence[str], since: datetime
    ) -> set[str]:
        """The contacts among these that started the flow since `since`."""
        ...

    async def due(self, now: datetime, limit: int) -> list[FlowRun]:
        """Waiting runs whose timeout or expiry came, oldest first."""
        ...

    async def page(
        self,
        org_id: str,
        *,
        flow_id: str | None = None,
        contact_id: str | None = None,
        status: str | None = None,
        result: tuple[str, str] | None = None,
        after: str | None = None,
        limit: int = 50,
    ) -> list[FlowRun]:
        """Newest first (ids sort by start), after `after`; `result`: (name key, category)."""
        ...


class TriggerRepository(Protocol):
    async def add(self, trigger: Trigger) -> None: ...

    async def of_org(self, org_id: str) -> list[Trigger]:
        """The organisation's triggers (not deleted), oldest first."""
        ...

    async def get(self, org_id: str, trigger_id: str) -> Trigger | None: ...

    async def save(self, trigger: Trigger, expected_version: int) -> bool: ...
