"""A contact's run through a flow, and the engine that moves it.

A run starts at the flow's first node and goes from node to node: each node's actions, then
its router picks a category (the first case whose test matches, else the default), whose exit
leads on. A router that waits for a message stops the run there (`waiting`) until the
contact's next message, its timeout or the flow's expiry; an exit leading nowhere completes
it. What a run does to the world is a list of commands (`FlowRun.commands`), stored with the
run's new state in one write (its outbox) by the service: `SendMessage` for the dispatcher
(ids from the run and a counter: a run moved again after a crash asks for the same messages,
which the dispatcher keeps once), `ChangeContactFields` and `ChangeContactStatus` for the
contacts service, `AddContactToGroups` and `RemoveContactFromGroups` for the groups service,
each with the flow as the actor. Within one move, the run sees its own changes (a field set
then switched on reads the new value: `ContactSnapshot`).

A run's answers are its results (`results`, by the router's `result_name`): the value (what
matched, or what was said), the category's name and the input. The inbound messages a run
took are remembered (`handled`), so a message delivered twice moves it once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from services.flows.domain.flow_definition import Action, Category, FlowDefinition, Node, Router
from services.flows.domain.flow_expressions import Context, render
from services.flows.domain.flow_tests import TESTS
from shared.contracts.audience_copy import AudienceContact
from shared.contracts.contact_commands import ChangeContactFields, ChangeContactStatus
from shared.contracts.envelope import EventPayload
from shared.contracts.group_commands import AddContactToGroups, RemoveContactFromGroups
from shared.contracts.message_commands import SendMessage

RunStatus = Literal["waiting", "completed", "expired", "interrupted", "failed"]
MAX_STEPS = 100  # nodes in one move: a flow looping on itself without waiting stops here
HANDLED_KEPT = 20


def result_key(name: str) -> str:
    """How a result is named in expressions: "Favourite Colour" is `favourite_colour`."""
    return re.sub(r"[^a-z0-9]+", "_", name.casefold()).strip("_")


@dataclass(frozen=True)
class RunResult:
    name: str
    value: str
    category: str
    input: str | None
    node: str
    at: datetime


@dataclass
class ContactSnapshot:
    """The contact as the run sees it: the audience copy, with what the run changed since."""

    id: str
    phone: str | None
    name: str | None
    language: str | None
    fields: dict[str, str]
    groups: set[str]
    version: int

    @classmethod
    def of(cls, contact: AudienceContact, run: FlowRun | None = None) -> ContactSnapshot:
        """With what `run` changed and the copy does not show yet (see `FlowRun.changed`)."""
        snapshot = cls(
            id=contact.id,
            phone=contact.phone,
            name=contact.name,
            language=contact.language,
            fields={k: v.text for k, v in contact.fields.items()},
            groups=set(contact.groups),
            version=contact.version,
        )
        if run is not None and run.changed:
            if run.changed_at_version is not None and contact.version > run.changed_at_version:
                run.changed, run.changed_at_version = {}, None  # the copy has moved on: trust it
            else:
                snapshot.name = run.changed.get("name", snapshot.name)
                snapshot.language = run.changed.get("language", snapshot.language)
                snapshot.fields.update(run.changed.get("fields") or {})
                snapshot.fields = {k: v for k, v in snapshot.fields.items() if v}
        return snapshot


@dataclass
class FlowRun:
    id: str
    org_id: str
    flow_id: str
    flow_version: int
    contact_id: str
    channel_id: str
    started_at: datetime
    status: RunStatus = "waiting"
    node: str | None = None  # the node it waits at
    results: dict[str, RunResult] = field(default_factory=dict)
    sent: int = 0  # messages asked for so far: the next one's id
    updated_at: datetime | None = None
    expires_at: datetime | None = None
    timeout_at: datetime | None = None
    ended_at: datetime | None = None
    handled: list[str] = field(default_factory=list)
    failure: str | None = None
    last_input: str | None = None  # what the contact last wrote to it (`@input`)
    # What the run asked the contacts service to change (`name`, `language`, `fields`), shown
    # to its later moves while the contact's copy is still at the version it was asked at: a
    # survey's "You said @contact.fields.age" after a wait reads the answer just set, not the
    # copy's older value. Once the copy moves on (the change applied, or another), the copy.
    changed: dict[str, Any] = field(default_factory=dict)
    changed_at_version: int | None = None
    version: int = 0
    commands: list[EventPayload] = field(default_factory=list, repr=False, compare=False)

    @property
    def active(self) -> bool:
        return self.status == "waiting"

    @property
    def actor(self) -> str:
        return f"flow:{self.flow_id}"

    def end(self, status: RunStatus, now: datetime, failure: str | None = None) -> None:
        self.status, self.ended_at, self.updated_at = status, now, now
        self.node = self.expires_at = self.timeout_at = None
        self.failure = failure


def start(
    run: FlowRun,
    flow: FlowDefinition,
    contact: ContactSnapshot,
    now: datetime,
    text: str | None = None,
) -> None:
    """Runs the flow from its first node until it waits or ends; `text`: the message that
    started it (a trigger's), its first `@input`."""
    run.last_input = text
    _go(run, flow, contact, flow.entry, now, resumed=None)


def resume(
    run: FlowRun,
    flow: FlowDefinition,
    contact: ContactSnapshot,
    text: str,
    message_id: str,
    now: datetime,
) -> bool:
    """The contact's message at the node the run waits at; False if the run already took it
    (or waits no more)."""
    node = flow.node(run.node)
    if not run.active or message_id in run.handled or node is None:
        return False
    run.handled = [*run.handled, message_id][-HANDLED_KEPT:]
    run.last_input = text
    _go(run, flow, contact, node, now, resumed=text)
    return True


def time_out(run: FlowRun, flow: FlowDefinition, contact: ContactSnapshot, now: datetime) -> bool:
    """The wait's timeout passed without a message: its timeout category. Only when it did
    pass: a run an answer moved on meanwhile waits for its next timeout."""
    node = flow.node(run.node)
    if not run.active or node is None or node.router is None or not node.router.timeout_category:
        return False
    if run.timeout_at is None or run.timeout_at > now:
        return False
    _go(run, flow, contact, node, now, resumed=None, timed_out=True)
    return True


def _go(
    run: FlowRun,
    flow: FlowDefinition,
    contact: ContactSnapshot,
    node: Node | None,
    now: datetime,
    resumed: str | None,
    timed_out: bool = False,
) -> None:
    waking = resumed is not None or timed_out  # at the node the run waited at
    for _ in range(MAX_STEPS):
        if node is None:
            run.end("completed", now)
            return
        if not waking:
            for action in node.actions:
                _act(run, flow, contact, action, now)
        router = node.router
        if router is None:
            node = flow.node(next(iter(node.exits.values()), None))
            continue
        if router.waits and not waking:
            _wait(run, flow, node, router, now)
            return
        text = resumed if waking else None
        category = _route(run, router, contact, text, timed_out, node, now)
        waking = timed_out = False
        exit_uuid = category.exit if category is not None else None
        node = flow.node(node.exits.get(exit_uuid or "")) if exit_uuid else None
    run.end("failed", now, failure="loop")  # a flow going round without waiting


def _wait(run: FlowRun, flow: FlowDefinition, node: Node, router: Router, now: datetime) -> None:
    run.status, run.node, run.updated_at = "waiting", node.uuid, now
    run.expires_at = now + timedelta(minutes=flow.expire_after_minutes)
    run.timeout_at = (
        now + timedelta(seconds=router.timeout_s)
        if router.timeout_s and router.timeout_category
        else None
    )


def _route(
    run: FlowRun,
    router: Router,
    contact: ContactSnapshot,
    text: str | None,
    timed_out: bool,
    node: Node,
    now: datetime,
) -> Category | None:
    operand = _operand(run, router.operand, contact, run.last_input if text is None else text)
    category_uuid, value = router.default_category, operand
    if timed_out:
        category_uuid, value = router.timeout_category, ""
    else:
        for case in router.cases:
            if case.test == "has_group":
                match = case.arguments[0] if case.arguments[0] in contact.groups else None
            else:  # an argument may be an expression (`@contact.fields.code`), as in goflow
                arguments = case.arguments
                if any("@" in a for a in arguments):
                    context = _context(run, contact)
                    arguments = tuple(render(a, context) for a in arguments)
                match = TESTS[case.test].run(operand, arguments)
            if match is not None:
                category_uuid, value = case.category, match
                break
    category = router.category(category_uuid)
    if router.result_name and category is not None:
        run.results[result_key(router.result_name)] = RunResult(
            name=router.result_name,
            value=value,
            category=category.name,
            input=text,
            node=node.uuid,
            at=now,
        )
    return category


def _operand(run: FlowRun, operand: str, contact: ContactSnapshot, text: str | None) -> str:
    path = operand.lstrip("@").lower().split(".")
    if path[0] == "input":
        return text or ""
    if path[0] == "contact" and path[1] == "groups":
        return ""
    if path[0] in ("fields", "contact"):
        return contact.fields.get(path[-1], "")
    found = run.results.get(path[1])
    return found.value if found else ""


def _context(run: FlowRun, contact: ContactSnapshot) -> Context:
    return Context(
        name=contact.name,
        language=contact.language,
        phone=contact.phone,
        fields=contact.fields,
        input=run.last_input,
        results={k: (r.value, r.category) for k, r in run.results.items()},
    )


def _act(
    run: FlowRun, flow: FlowDefinition, contact: ContactSnapshot, action: Action, now: datetime
) -> None:
    spec, context = action.spec, _context(run, contact)
    if action.type == "send_msg":
        if contact.phone:
            run.sent += 1
            run.commands.append(
                SendMessage(
                    message_id=f"{run.id}.{run.sent}",
                    contact_id=contact.id,
                    phone=contact.phone,
                    channel_id=run.channel_id,
                    text=render(str(spec["text"]), context)[:4096] or " ",
                    purpose="flow",
                    requested_at=now,
                )
            )
    elif action.type == "add_contact_groups":
        ids = [str(g["uuid"]) for g in spec.get("groups") or []]
        contact.groups |= set(ids)
        run.commands.append(
            AddContactToGroups(
                contact_id=contact.id,
                group_ids=ids,
                contact_version=contact.version,
                actor=run.actor,
                requested_at=now,
            )
        )
    elif action.type == "remove_contact_groups":
        every = bool(spec.get("all_groups"))
        ids = [str(g["uuid"]) for g in spec.get("groups") or []]
        contact.groups = set() if every else contact.groups - set(ids)
        run.commands.append(
            RemoveContactFromGroups(
                contact_id=contact.id,
                group_ids=ids,
                all_groups=every,
                actor=run.actor,
                requested_at=now,
            )
        )
    elif action.type == "set_contact_field":
        key = str(spec["field"]["key"])
        value = render(str(spec.get("value") or ""), context).strip()
        contact.fields[key] = value
        _change_fields(run, contact, now, fields={key: value or None})
    elif action.type == "set_contact_name":
        contact.name = render(str(spec.get("name") or ""), context).strip() or None
        _change_fields(run, contact, now, name=contact.name or "")
    elif action.type == "set_contact_language":
        contact.language = render(str(spec.get("language") or ""), context).strip() or None
        if contact.language:
            _change_fields(run, contact, now, language=contact.language)
    elif action.type == "set_contact_status":
        run.commands.append(
            ChangeContactStatus(
                contact_id=contact.id,
                actor=run.actor,
                requested_at=now,
                status=spec["status"],
                reason=f"flow {flow.name}"[:200],
            )
        )


def _change_fields(
    run: FlowRun,
    contact: ContactSnapshot,
    now: datetime,
    fields: dict[str, str | None] | None = None,
    **attributes: str,
) -> None:
    """One `ChangeContactFields` for a run of changes in a row (a survey's answers)."""
    run.changed.update(attributes)
    if fields:
        run.changed["fields"] = {**run.changed.get("fields", {}), **fields}
    run.changed_at_version = contact.version
    last = run.commands[-1] if run.commands else None
    if isinstance(last, ChangeContactFields):
        run.commands[-1] = last.model_copy(
            update={**attributes, "fields": {**last.fields, **(fields or {})}}
        )
        return
    run.commands.append(
        ChangeContactFields(
            contact_id=contact.id,
            actor=run.actor,
            requested_at=now,
            fields=fields or {},
            **attributes,
        )
    )


def copy_run(run: FlowRun) -> FlowRun:
    changed = (
        {**run.changed, "fields": dict(run.changed["fields"])}
        if "fields" in run.changed
        else dict(run.changed)
    )
    return replace(run, results=dict(run.results), handled=list(run.handled), changed=changed,
                   commands=[])  # fmt: skip
