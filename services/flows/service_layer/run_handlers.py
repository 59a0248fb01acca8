"""Runs: started for an audience, moved by the contact's messages, woken by timeouts and
expiry. Each move is saved with its commands in one write (the run's outbox), at the version
read; a move that lost a race is done again on a fresh read, and a message the run already
took (`handled`) moves nothing, so a redelivery or a restart after a crash asks nothing twice.

A contact has at most one active run (the store's rule, see `adapters/run_repository.py`): a
start interrupts the one it has, or skips the contact (`exclude_in_a_flow`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from functools import partial

from services.flows.domain import commands
from services.flows.domain.commands import WAKE_BATCH
from services.flows.domain.conversation import ConversationMessage
from services.flows.domain.errors import InvalidStart
from services.flows.domain.flow_definition import FlowDefinition
from services.flows.domain.runs import (
    ContactSnapshot,
    FlowRun,
    RunStatus,
    resume,
    start,
    time_out,
)
from services.flows.domain.triggers import Trigger, pick
from services.flows.service_layer.queries import load_flow
from services.flows.service_layer.results import StartOutcome
from services.flows.service_layer.unit_of_work import FlowsUnitOfWork
from shared.catch_up import CatchUp
from shared.contracts.audience_copy import AudienceContact, audience_query
from shared.errors import DomainError
from shared.logging import get_logger

log = get_logger(__name__)
CHUNK = 1000
MAX_AUDIENCE = 200_000
MAX_SAVE_TRIES = 5


async def start_flow(
    cmd: commands.StartFlow, uow: FlowsUnitOfWork, catch_up: CatchUp
) -> StartOutcome:
    if not cmd.channel_id.strip():
        raise InvalidStart("a start names the channel its messages go out on", field="channel_id")
    if not cmd.groups and not cmd.contact_ids and not cmd.query:
        raise InvalidStart("a start names groups, contacts or a query")
    if cmd.started_previously_days is not None and not 1 <= cmd.started_previously_days <= 365:
        raise InvalidStart("started_previously_days: 1 to 365", field="started_previously_days")
    flow = await load_flow(uow, cmd.by.org_id, cmd.flow_id)
    definition = flow.readable
    ids = await _audience(uow, cmd, catch_up)
    outcome, now = StartOutcome(), uow.clock()
    for at in range(0, len(ids), CHUNK):
        chunk = ids[at : at + CHUNK]
        contacts = await uow.audience.get_contacts(cmd.by.org_id, chunk)
        active = await uow.runs.active_for(cmd.by.org_id, chunk)
        keyed = _keyed_run_ids(cmd, flow.id, chunk)
        again = (
            await uow.runs.existing(list(keyed.values())) if keyed and not cmd.preview else set()
        )
        recent: set[str] = set()
        if cmd.started_previously_days:
            since = now - timedelta(days=cmd.started_previously_days)
            recent = await uow.runs.started_since(cmd.by.org_id, flow.id, chunk, since)
        runs: list[FlowRun] = []
        for contact_id in chunk:
            if keyed.get(contact_id) in again:  # started by this key already
                outcome.started += 1
                continue
            reason = _exclusion(contacts.get(contact_id), contact_id in recent)
            if reason is None and contact_id in active and cmd.exclude_in_a_flow:
                reason = "in_a_flow"
            if reason is not None:
                outcome.skipped[reason] += 1
                continue
            if cmd.preview:
                outcome.started += 1
                outcome.interrupted += contact_id in active
                continue
            if (current := active.get(contact_id)) is not None:
                outcome.interrupted += await _interrupt(uow, current)
            run = FlowRun(id=keyed.get(contact_id) or uow.new_id(), org_id=cmd.by.org_id,
                          flow_id=flow.id, flow_version=flow.version, contact_id=contact_id,
                          channel_id=cmd.channel_id, started_at=now)  # fmt: skip
            start(run, definition, ContactSnapshot.of(contacts[contact_id]), now)
            runs.append(run)
        refused = await uow.runs.add(runs)
        outcome.started += len(runs) - len(refused)
        if refused:  # started meanwhile by someone else
            outcome.skipped["in_a_flow"] += len(refused)
    return outcome


def _keyed_run_ids(cmd: commands.StartFlow, flow_id: str, contact_ids: Sequence[str]
                   ) -> dict[str, str]:  # fmt: skip
    """Each contact's run id under the start's idempotency key (none without one)."""
    if not cmd.idempotency_key:
        return {}
    start = f"{cmd.by.org_id}/{flow_id}/{cmd.idempotency_key}"
    return {c: str(uuid.uuid5(uuid.NAMESPACE_URL, f"{start}/{c}")) for c in contact_ids}


def _exclusion(contact: AudienceContact | None, started_recently: bool) -> str | None:
    if contact is None or contact.gone:
        return "contact_deleted"
    if contact.status != "active":
        return contact.status
    if not contact.phone:
        return "no_phone"
    return "started_previously" if started_recently else None


async def _audience(uow: FlowsUnitOfWork, cmd: commands.StartFlow, catch_up: CatchUp) -> list[str]:
    """The contacts named, then the groups' members, then the query's matches, once each."""
    org_id = cmd.by.org_id
    ids = dict.fromkeys(cmd.contact_ids)
    known = await uow.audience.get_groups(org_id, cmd.groups)
    unknown = [g for g in cmd.groups if g not in known]
    if unknown:
        raise InvalidStart("no such group", field="groups", unknown=unknown)
    # Read (and refused) before any group is walked: a mistyped query costs nothing.
    query = (
        await audience_query(uow.audience, uow.organizations, org_id, cmd.query, catch_up)
        if cmd.query
        else None
    )
    for group_id in cmd.groups:
        after: str | None = None
        while page := await uow.audience.members_page(group_id, after, CHUNK):
            ids.update(dict.fromkeys(page))
            after = page[-1]
            _within_limit(ids)
    if query is not None:
        async for matched in uow.audience.matching_pages(org_id, query.predicate):
            ids.update(dict.fromkeys(c.id for c in matched))
            _within_limit(ids)
    return list(ids)


def _within_limit(ids: Mapping[str, None]) -> None:
    if len(ids) > MAX_AUDIENCE:
        raise InvalidStart(f"at most {MAX_AUDIENCE} contacts per start")


async def interrupt_runs(uow: FlowsUnitOfWork, org_id: str, contact_ids: Sequence[str]) -> None:
    """Contacts who opted out leave the run they wait in: nothing more is asked of them."""
    for run in (await uow.runs.active_for(org_id, contact_ids)).values():
        await _interrupt(uow, run)


async def _interrupt(uow: FlowsUnitOfWork, run: FlowRun) -> int:
    for _ in range(MAX_SAVE_TRIES):
        if not run.active:
            return 0
        read_version = run.version
        run.end("interrupted", uow.clock())
        if await uow.runs.save(run, read_version):
            return 1
        fresh = await uow.runs.get(run.org_id, run.id)
        if fresh is None:
            return 0
        run = fresh
    return 0


async def route_messages(
    uow: FlowsUnitOfWork,
    org_id: str,
    messages: Sequence[ConversationMessage],
    senders: dict[str, AudienceContact],
) -> None:
    """What active contacts wrote, in order: to the run each waits in, else to the most
    specific trigger matching it (which starts its flow for them)."""
    waiting = await uow.runs.active_for(org_id, [m.contact_id for m in messages if m.contact_id])
    definitions: dict[str, FlowDefinition | None] = {}
    triggers: list[Trigger] | None = None
    for message in messages:
        sender = senders.get(message.contact_id or "")
        if sender is None:
            continue
        run = waiting.get(sender.id)
        if run is None:
            if triggers is None:
                triggers = await uow.triggers.of_org(org_id)
            trigger = pick(triggers, message.text, set(sender.groups), message.channel_id)
            if trigger is not None:
                started = await _start_one(uow, trigger, sender, message, definitions)
                if started is not None:
                    waiting[sender.id] = started
            continue
        moved = await _move(uow, run, sender, definitions, partial(_answer, message))
        if moved is not None:
            if moved.active:
                waiting[sender.id] = moved
            else:
                waiting.pop(sender.id, None)


async def _start_one(
    uow: FlowsUnitOfWork,
    trigger: Trigger,
    contact: AudienceContact,
    message: ConversationMessage,
    definitions: dict[str, FlowDefinition | None],
) -> FlowRun | None:
    """A run of the trigger's flow for the sender, answering on the channel it wrote to. Its
    id comes from the message: a redelivered message starts nothing new."""
    flow = await uow.flows.get(contact.org_id, trigger.flow_id)
    if flow is None:
        return None
    if flow.id not in definitions:
        definitions[flow.id] = flow.readable
    now = uow.clock()
    run = FlowRun(id=f"{message.id}.run", org_id=contact.org_id, flow_id=flow.id,
                  flow_version=flow.version, contact_id=contact.id,
                  channel_id=trigger.channel_id or message.channel_id, started_at=now,
                  handled=[message.id])  # fmt: skip
    start(run, definitions[flow.id] or flow.readable, ContactSnapshot.of(contact), now)
    refused = await uow.runs.add([run])
    return None if refused or not run.active else run


def _answer(
    message: ConversationMessage,
    run: FlowRun,
    definition: FlowDefinition,
    contact: ContactSnapshot,
    now: datetime,
) -> bool:
    return resume(run, definition, contact, message.text or "", message.id, now)


async def wake_runs(cmd: commands.WakeRuns, uow: FlowsUnitOfWork) -> int:
    """Runs whose flow expired them end `expired`; those whose wait timed out take the
    timeout category. Returns how many were due (`WAKE_BATCH`: more may be)."""
    now = uow.clock()
    due = await uow.runs.due(now, WAKE_BATCH)
    definitions: dict[str, FlowDefinition | None] = {}
    for run in due:
        try:
            await _wake(uow, run, now, definitions)
        except Exception as exc:  # one run must not hold up every other's timeout
            log.warning("run_wake_failed", run_id=run.id, error=repr(exc))
            await _end(uow, run, "failed", failure="wake_failed")
    return len(due)


async def _wake(
    uow: FlowsUnitOfWork,
    run: FlowRun,
    now: datetime,
    definitions: dict[str, FlowDefinition | None],
) -> None:
    contacts = await uow.audience.get_contacts(run.org_id, [run.contact_id])
    contact = contacts.get(run.contact_id)
    if run.expires_at is not None and run.expires_at <= now:
        await _end(uow, run, "expired")
    elif contact is None or contact.gone:
        await _end(uow, run, "interrupted")
    else:
        moved = await _move(uow, run, contact, definitions, time_out)
        if (
            moved is not None
            and moved.active
            and moved.timeout_at is not None
            and (moved.timeout_at <= now)
        ):  # its wait has no timeout any more (the flow changed): wake it at expiry only
            read_version = moved.version
            moved.timeout_at = None
            await uow.runs.save(moved, read_version)


async def _end(
    uow: FlowsUnitOfWork, run: FlowRun, status: RunStatus, failure: str | None = None
) -> None:
    read_version = run.version
    run.end(status, uow.clock(), failure=failure)
    await uow.runs.save(run, read_version)  # lost: moved meanwhile, woken again if still due


async def _definition(
    uow: FlowsUnitOfWork, run: FlowRun, cache: dict[str, FlowDefinition | None]
) -> FlowDefinition | None:
    if run.flow_id not in cache:
        flow = await uow.flows.get(run.org_id, run.flow_id)
        try:
            cache[run.flow_id] = flow.readable if flow is not None else None
        except DomainError:
            cache[run.flow_id] = None
    return cache[run.flow_id]


Step = Callable[[FlowRun, FlowDefinition, ContactSnapshot, datetime], bool]


async def _move(
    uow: FlowsUnitOfWork,
    run: FlowRun,
    contact: AudienceContact,
    definitions: dict[str, FlowDefinition | None],
    step: Step,
) -> FlowRun | None:
    """Moves the run one step (`step`) and saves it; on a lost race, again on a fresh read."""
    for _ in range(MAX_SAVE_TRIES):
        definition = await _definition(uow, run, definitions)
        read_version = run.version
        if definition is None:  # the flow was deleted
            run.end("interrupted", uow.clock())
        elif definition.node(run.node) is None:
            run.end("failed", uow.clock(), failure="node_gone")
        elif not step(run, definition, ContactSnapshot.of(contact, run), uow.clock()):
            return run
        if await uow.runs.save(run, read_version):
            return run
        fresh = await uow.runs.get(run.org_id, run.id)
        if fresh is None or not fresh.active:
            return None
        run = fresh
    log.warning("run_not_saved", run_id=run.id)
    return None
