"""In-memory fakes of the flows service's ports, and the service built over them: the real
handlers behind the real bus (`build_bus`), with no Kafka and no store.

Each fake keeps the contract of its MongoDB adapter in `services/flows/adapters/` (tenant
scoping, statuses moved forward only), so what passes here passes there."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from services.flows.bootstrap import build_bus
from services.flows.domain.conversation import ConversationMessage, OutboundChange
from services.flows.domain.flows import Flow
from services.flows.domain.follow_ups import ConsentFollowUp
from services.flows.domain.keywords import KeywordSettings
from services.flows.domain.runs import FlowRun, copy_run
from services.flows.domain.triggers import Trigger
from services.flows.service_layer.unit_of_work import FlowsUnitOfWork
from shared.contracts.envelope import EventPayload
from shared.messagebus import MessageBus
from tests.fakes.audience import FakeAudienceProjection
from tests.fakes.contacts import T0, FakeClock, SequentialIds
from tests.fakes.organizations import FakeOrganizationCopies


class FakeConversationRepository:
    def __init__(self) -> None:
        self.messages: dict[str, tuple[ConversationMessage, int]] = {}  # with its rank
        self.unattributed: dict[str, tuple[ConversationMessage, int]] = {}
        self.published: list[EventPayload] = []  # commands stored with their messages
        self.follow_ups: dict[str, ConsentFollowUp] = {}  # owed, by message id
        self.routed: set[str] = set()

    async def record_outbound(self, changes: Sequence[OutboundChange]) -> None:
        for change in changes:
            stored = self.messages.get(change.message_id)
            if stored is None:
                message = ConversationMessage(
                    id=change.message_id,
                    org_id=change.org_id,
                    contact_id=change.contact_id,
                    direction="out",
                    channel_id=change.channel_id,
                    status=change.status,
                    at=change.at,
                    updated_at=change.at,
                    text=change.text,
                    broadcast_id=change.broadcast_id,
                    reason=change.reason,
                )
                self.messages[change.message_id] = (message, change.rank)
                continue
            message, rank = stored
            if change.text is not None:
                message = replace(message, text=change.text, at=change.at)
            if change.rank > rank:
                message = replace(
                    message, status=change.status, updated_at=change.at, reason=change.reason
                )
                rank = change.rank
            self.messages[change.message_id] = (message, rank)

    async def record_inbound(
        self,
        messages: Sequence[ConversationMessage],
        commands: Mapping[str, list[EventPayload]],
        follow_ups: Mapping[str, ConsentFollowUp],
    ) -> set[str]:
        for message in messages:
            if message.contact_id is None:
                self.unattributed.setdefault(message.id, (message, 0))
            elif message.id not in self.messages:
                self.messages[message.id] = (message, 0)
                self.published.extend(commands.get(message.id) or [])
                if message.id in follow_ups:
                    self.follow_ups[message.id] = follow_ups[message.id]
        return {m.id for m in messages if m.contact_id is not None and m.id not in self.routed}

    async def mark_routed(self, message_ids: Sequence[str]) -> None:
        self.routed.update(message_ids)

    async def pending_follow_ups(
        self, org_id: str, contact_ids: Sequence[str]
    ) -> list[ConsentFollowUp]:
        found = [
            f
            for f in self.follow_ups.values()
            if f.org_id == org_id and f.contact_id in contact_ids
        ]
        return sorted(found, key=lambda f: (f.at, f.message_id))

    async def settle_follow_up(
        self, follow_up: ConsentFollowUp, commands: Sequence[EventPayload]
    ) -> None:
        if self.follow_ups.pop(follow_up.message_id, None) is not None:
            self.published.extend(commands)

    async def waiting_for(self, org_id: str, phones: Sequence[str]) -> list[ConversationMessage]:
        return sorted(
            (m for m, _ in self.unattributed.values() if m.org_id == org_id and m.phone in phones),
            key=lambda m: (m.at, m.id),
        )

    async def forget_waiting(self, message_ids: Sequence[str]) -> None:
        for message_id in message_ids:
            self.unattributed.pop(message_id, None)

    async def page(
        self, org_id: str, contact_id: str, before: tuple[datetime, str] | None, limit: int
    ) -> list[ConversationMessage]:
        mine = sorted(
            (
                m
                for m, _ in self.messages.values()
                if m.org_id == org_id
                and m.contact_id == contact_id
                and (before is None or (m.at, m.id) < before)
            ),
            key=lambda m: (m.at, m.id),
            reverse=True,
        )
        return mine[:limit]

    async def has_messages(self, org_id: str, contact_id: str) -> bool:
        return any(
            m.org_id == org_id and m.contact_id == contact_id for m, _ in self.messages.values()
        )

    async def forget_contacts(self, org_id: str, contact_ids: Sequence[str]) -> None:
        gone = set(contact_ids)
        self.messages = {
            i: (m, r)
            for i, (m, r) in self.messages.items()
            if not (m.org_id == org_id and m.contact_id in gone)
        }


class FakeKeywordSettingsRepository:
    def __init__(self) -> None:
        self.stored: dict[str, KeywordSettings] = {}

    async def get(self, org_id: str) -> KeywordSettings:
        return self.stored.get(org_id) or KeywordSettings(org_id)

    async def save(self, settings: KeywordSettings, expected_version: int) -> bool:
        if (await self.get(settings.org_id)).version != expected_version:
            return False
        self.stored[settings.org_id] = replace(settings, version=expected_version + 1)
        return True


class FakeFlowRepository:
    def __init__(self) -> None:
        self.stored: dict[str, Flow] = {}

    async def add(self, flow: Flow) -> None:
        self.stored[flow.id] = copy.deepcopy(flow)

    async def get(self, org_id: str, flow_id: str) -> Flow | None:
        flow = self.stored.get(flow_id)
        if flow is None or flow.org_id != org_id or flow.deleted:
            return None
        return copy.deepcopy(flow)

    async def page(self, org_id: str, after: str | None, limit: int) -> list[Flow]:
        mine = sorted(
            i
            for i, f in self.stored.items()
            if f.org_id == org_id and not f.deleted and (after is None or i > after)
        )
        return [copy.deepcopy(self.stored[i]) for i in mine[:limit]]

    async def save(self, flow: Flow, expected_version: int) -> bool:
        stored = self.stored.get(flow.id)
        if stored is None or stored.version != expected_version:
            return False
        self.stored[flow.id] = copy.deepcopy(flow)
        return True


class FakeRunRepository:
    """`published`: the commands of every move saved, in order."""

    def __init__(self) -> None:
        self.stored: dict[str, FlowRun] = {}
        self.published: list[EventPayload] = []

    def _active_elsewhere(self, run: FlowRun) -> bool:
        return run.active and any(
            r.active and r.id != run.id and (r.org_id, r.contact_id) == (run.org_id, run.contact_id)
            for r in self.stored.values()
        )

    async def add(self, runs: Sequence[FlowRun]) -> set[str]:
        refused = set()
        for run in runs:
            if run.id in self.stored or self._active_elsewhere(run):
                refused.add(run.id)
            else:
                self.published.extend(run.commands)
                self.stored[run.id] = copy_run(run)
            run.commands.clear()
        return refused

    async def existing(self, run_ids: Sequence[str]) -> set[str]:
        return {i for i in run_ids if i in self.stored}

    async def get(self, org_id: str, run_id: str) -> FlowRun | None:
        run = self.stored.get(run_id)
        return copy_run(run) if run is not None and run.org_id == org_id else None

    async def save(self, run: FlowRun, expected_version: int) -> bool:
        stored = self.stored.get(run.id)
        if stored is None or stored.version != expected_version:
            return False
        run.version = expected_version + 1
        self.published.extend(run.commands)
        run.commands.clear()
        self.stored[run.id] = copy_run(run)
        return True

    async def active_for(self, org_id: str, contact_ids: Sequence[str]) -> dict[str, FlowRun]:
        return {
            r.contact_id: copy_run(r)
            for r in self.stored.values()
            if r.active and r.org_id == org_id and r.contact_id in contact_ids
        }

    async def started_since(
        self, org_id: str, flow_id: str, contact_ids: Sequence[str], since: datetime
    ) -> set[str]:
        return {
            r.contact_id
            for r in self.stored.values()
            if (r.org_id, r.flow_id) == (org_id, flow_id)
            and r.contact_id in contact_ids
            and r.started_at >= since
        }

    async def due(self, now: datetime, limit: int) -> list[FlowRun]:
        def wake(r: FlowRun) -> datetime | None:
            times = [t for t in (r.timeout_at, r.expires_at) if t is not None]
            return min(times) if r.active and times else None

        due = [r for r in self.stored.values() if (w := wake(r)) is not None and w <= now]
        return [copy_run(r) for r in sorted(due, key=lambda r: (wake(r), r.id))[:limit]]

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
        found = [
            r
            for r in self.stored.values()
            if r.org_id == org_id
            and flow_id in (None, r.flow_id)
            and contact_id in (None, r.contact_id)
            and status in (None, r.status)
            and (after is None or r.id < after)
            and (
                result is None
                or (result[0] in r.results and r.results[result[0]].category == result[1])
            )
        ]
        return [copy_run(r) for r in sorted(found, key=lambda r: r.id, reverse=True)[:limit]]


class FakeTriggerRepository:
    def __init__(self) -> None:
        self.stored: dict[str, Trigger] = {}

    async def add(self, trigger: Trigger) -> None:
        self.stored[trigger.id] = copy.deepcopy(trigger)

    async def of_org(self, org_id: str) -> list[Trigger]:
        mine = [t for t in self.stored.values() if t.org_id == org_id and not t.deleted]
        return [copy.deepcopy(t) for t in sorted(mine, key=lambda t: (t.created_at, t.id))]

    async def get(self, org_id: str, trigger_id: str) -> Trigger | None:
        trigger = self.stored.get(trigger_id)
        if trigger is None or trigger.org_id != org_id or trigger.deleted:
            return None
        return copy.deepcopy(trigger)

    async def save(self, trigger: Trigger, expected_version: int) -> bool:
        stored = self.stored.get(trigger.id)
        if stored is None or stored.version != expected_version:
            return False
        self.stored[trigger.id] = copy.deepcopy(trigger)
        return True


@dataclass
class FakeFlows:
    uow: FlowsUnitOfWork
    conversations: FakeConversationRepository
    keywords: FakeKeywordSettingsRepository
    audience: FakeAudienceProjection
    flows: FakeFlowRepository
    runs: FakeRunRepository
    triggers: FakeTriggerRepository
    organizations: FakeOrganizationCopies
    clock: FakeClock
    bus: MessageBus


def build_fake_flows() -> FakeFlows:
    conversations, keywords = FakeConversationRepository(), FakeKeywordSettingsRepository()
    audience, clock = FakeAudienceProjection(), FakeClock(T0)
    flows, runs, triggers = FakeFlowRepository(), FakeRunRepository(), FakeTriggerRepository()
    organizations = FakeOrganizationCopies()
    uow = FlowsUnitOfWork(
        conversations=conversations,
        keywords=keywords,
        audience=audience,
        flows=flows,
        runs=runs,
        triggers=triggers,
        organizations=organizations,
        clock=clock,
        new_id=SequentialIds("id"),
    )
    return FakeFlows(
        uow=uow,
        conversations=conversations,
        keywords=keywords,
        audience=audience,
        flows=flows,
        runs=runs,
        triggers=triggers,
        organizations=organizations,
        clock=clock,
        bus=build_bus(uow),
    )
