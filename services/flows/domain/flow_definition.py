"""A flow as RapidPro, TextIt and Glific write it: the goflow JSON format (spec 13 and 14),
read into what this service can run, or refused with every part it cannot run named.

A flow is nodes; a node has actions, optionally a router, and exits leading to other nodes
(or out of the flow). Supported actions: `send_msg` (text with expressions),
`add_contact_groups`, `remove_contact_groups` (named groups or `all_groups`),
`set_contact_field`, `set_contact_name`, `set_contact_language`, `set_contact_status`. Routers:
`switch`, waiting for a message (`wait` of type `msg`, with an optional timeout category) or
not, on `@input.text`, `@contact.groups`, a contact field or a result, with the tests of
`flow_tests.TESTS`. Nothing is dropped silently: a flow using anything else is refused, and
`FlowProblem`s name each node, action, router, test or expression it cannot run.

Groups are named by id: an imported flow's group references (RapidPro's uuids) are matched to
the organisation's groups by uuid or by name before the flow is read (`resolve_groups`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from services.flows.domain.flow_expressions import unsupported_expressions
from services.flows.domain.flow_tests import TESTS

SPEC_MAJORS = ("13", "14")
ACTIONS = frozenset(
    {
        "send_msg",
        "add_contact_groups",
        "remove_contact_groups",
        "set_contact_field",
        "set_contact_name",
        "set_contact_language",
        "set_contact_status",
    }
)
STATUSES = frozenset({"active", "archived", "blocked", "stopped"})
# What a router may look at: what the contact wrote, its groups, a field or a result.
_OPERAND = re.compile(
    r"@(input(\.text)?|contact\.groups|(contact\.)?fields\.[a-z0-9_]+|results\.[a-z0-9_]+"
    r"(\.value)?)",
    re.IGNORECASE,
)
MAX_NODES = 500
DEFAULT_EXPIRY_MINUTES = 60 * 24 * 7


@dataclass(frozen=True)
class FlowProblem:
    """Something a flow uses that this service cannot run (or a flow that does not hold
    together): where (`node`, `action`), what kind of thing, and which."""

    code: str  # unsupported_action, unsupported_router, unsupported_test, ...
    message: str
    node: str | None = None
    action: str | None = None

    def as_dict(self) -> dict[str, str]:
        found = {"code": self.code, "message": self.message}
        if self.node:
            found["node"] = self.node
        if self.action:
            found["action"] = self.action
        return found


@dataclass(frozen=True)
class Action:
    uuid: str
    type: str
    spec: Mapping[str, Any]  # the action as written: its own attributes


@dataclass(frozen=True)
class Case:
    uuid: str
    test: str
    arguments: tuple[str, ...]
    category: str  # category uuid


@dataclass(frozen=True)
class Category:
    uuid: str
    name: str
    exit: str  # exit uuid


@dataclass(frozen=True)
class Router:
    operand: str
    cases: tuple[Case, ...]
    categories: tuple[Category, ...]
    default_category: str | None
    result_name: str | None
    waits: bool  # for the contact's next message
    timeout_s: int | None = None
    timeout_category: str | None = None

    def category(self, uuid: str | None) -> Category | None:
        return next((c for c in self.categories if c.uuid == uuid), None)


@dataclass(frozen=True)
class Node:
    uuid: str
    actions: tuple[Action, ...]
    router: Router | None
    exits: Mapping[str, str | None]  # exit uuid -> the node it leads to (None: the end)


@dataclass(frozen=True)
class FlowDefinition:
    uuid: str
    name: str
    language: str
    expire_after_minutes: int
    nodes: tuple[Node, ...]
    spec_version: str
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    @property
    def entry(self) -> Node:
        return self.nodes[0]

    def node(self, uuid: str | None) -> Node | None:
        return next((n for n in self.nodes if n.uuid == uuid), None)

    def group_ids(self) -> set[str]:
        return {g for n in self.nodes for a in n.actions for g in _group_refs(a.spec)}


def read_flow(raw: Mapping[str, Any]) -> tuple[FlowDefinition | None, list[FlowProblem]]:
    """The flow, or None and why not: every problem found, not only the first."""
    problems: list[FlowProblem] = []
    spec = str(raw.get("spec_version") or "")
    if spec.split(".")[0] not in SPEC_MAJORS:
        problems.append(
            FlowProblem(
                "unsupported_spec_version", f"spec_version {spec or 'missing'}: 13 or 14 is read"
            )
        )
    if raw.get("type", "messaging") != "messaging":
        problems.append(
            FlowProblem(
                "unsupported_flow_type", f"a {raw.get('type')} flow: only messaging flows run"
            )
        )
    translated = raw.get("localization")
    if isinstance(translated, Mapping) and any(translated.values()):
        languages = ", ".join(sorted(str(k) for k, v in translated.items() if v))
        problems.append(
            FlowProblem(
                "unsupported_localization",
                f"translations ({languages}) are not sent here: every contact would get the"
                f" {raw.get('language') or 'base'} text; remove them to run the flow so",
            )
        )
    raw_nodes = raw.get("nodes")
    if not isinstance(raw_nodes, list) or not raw_nodes:
        problems.append(FlowProblem("invalid_flow", "a flow has at least one node"))
        return None, problems
    if len(raw_nodes) > MAX_NODES:
        problems.append(FlowProblem("invalid_flow", f"at most {MAX_NODES} nodes"))
        return None, problems
    nodes = [_node(n, problems) for n in raw_nodes if isinstance(n, Mapping)]
    if len(nodes) != len(raw_nodes):
        problems.append(FlowProblem("invalid_flow", "every node is an object"))
    known = {n.uuid for n in nodes}
    if len(known) != len(nodes):
        problems.append(FlowProblem("invalid_flow", "node uuids repeat"))
    for node in nodes:
        for exit_uuid, destination in node.exits.items():
            if destination is not None and destination not in known:
                problems.append(
                    FlowProblem("invalid_flow", f"exit {exit_uuid} leads nowhere", node=node.uuid)
                )
    expiry = raw.get("expire_after_minutes") or DEFAULT_EXPIRY_MINUTES
    if not isinstance(expiry, int) or not 1 <= expiry <= 60 * 24 * 30:
        problems.append(FlowProblem("invalid_flow", "expire_after_minutes: 1 to 43200"))
        expiry = DEFAULT_EXPIRY_MINUTES
    if problems:
        return None, problems
    flow = FlowDefinition(
        uuid=str(raw.get("uuid") or ""),
        name=str(raw.get("name") or "").strip() or "Flow",
        language=str(raw.get("language") or "eng"),
        expire_after_minutes=expiry,
        nodes=tuple(nodes),
        spec_version=spec,
        raw=raw,
    )
    return flow, []


def _node(raw: Mapping[str, Any], problems: list[FlowProblem]) -> Node:
    uuid = str(raw.get("uuid") or "")
    if not uuid:
        problems.append(FlowProblem("invalid_flow", "a node without a uuid"))
    actions = tuple(
        _action(a, uuid, problems) for a in raw.get("actions") or [] if isinstance(a, Mapping)
    )
    exits = {
        str(e.get("uuid")): (str(e["destination_uuid"]) if e.get("destination_uuid") else None)
        for e in raw.get("exits") or []
        if isinstance(e, Mapping)
    }
    router = _router(raw["router"], uuid, set(exits), problems) if raw.get("router") else None
    if router is None and len(exits) > 1:
        problems.append(
            FlowProblem("invalid_flow", "a node without a router has one exit", node=uuid)
        )
    return Node(uuid, actions, router, exits)


def _action(raw: Mapping[str, Any], node: str, problems: list[FlowProblem]) -> Action:
    kind, uuid = str(raw.get("type") or ""), str(raw.get("uuid") or "")
    action = Action(uuid, kind, raw)
    if kind not in ACTIONS:
        problems.append(
            FlowProblem(
                "unsupported_action",
                f"action {kind or '?'} is not run here",
                node=node,
                action=kind or None,
            )
        )
        return action
    where = {"node": node, "action": kind}
    if kind == "send_msg":
        if raw.get("templating") or raw.get("attachments"):
            problems.append(
                FlowProblem(
                    "unsupported_action", "send_msg with a template or attachments", **where
                )
            )
        if raw.get("quick_replies"):
            problems.append(
                FlowProblem(
                    "unsupported_action",
                    "send_msg with quick replies (no buttons are sent)",
                    **where,
                )
            )
        text = raw.get("text")
        if not isinstance(text, str) or not text.strip():
            problems.append(FlowProblem("invalid_flow", "send_msg without text", **where))
        else:
            for found in unsupported_expressions(text):
                problems.append(
                    FlowProblem(
                        "unsupported_expression",
                        f"{found} is not an expression this service reads",
                        **where,
                    )
                )
    elif kind in ("add_contact_groups", "remove_contact_groups"):
        groups = raw.get("groups") or []
        if not isinstance(groups, list) or not all(isinstance(g, Mapping) for g in groups):
            problems.append(FlowProblem("invalid_flow", "groups are a list of objects", **where))
        elif any(g.get("query") for g in groups) and kind == "add_contact_groups":
            problems.append(
                FlowProblem(
                    "unsupported_action", "a smart group's members follow its query", **where
                )
            )
        elif not groups and not (kind == "remove_contact_groups" and raw.get("all_groups")):
            problems.append(FlowProblem("invalid_flow", f"{kind} names no group", **where))
    elif kind == "set_contact_field":
        key = (raw.get("field") or {}).get("key") if isinstance(raw.get("field"), Mapping) else None
        if not key or not isinstance(raw.get("value", ""), str):
            problems.append(
                FlowProblem("invalid_flow", "set_contact_field needs a field key", **where)
            )
        else:
            _check_text(str(raw.get("value") or ""), where, problems)
    elif kind == "set_contact_status" and raw.get("status") not in STATUSES:
        problems.append(
            FlowProblem(
                "invalid_flow", "set_contact_status: active, archived, blocked or stopped", **where
            )
        )
    elif kind in ("set_contact_name", "set_contact_language"):
        _check_text(
            str(raw.get("name" if kind == "set_contact_name" else "language") or ""),
            where,
            problems,
        )
    return action


def _check_text(text: str, where: Mapping[str, str], problems: list[FlowProblem]) -> None:
    for found in unsupported_expressions(text):
        problems.append(
            FlowProblem(
                "unsupported_expression",
                f"{found} is not an expression this service reads",
                node=where["node"],
                action=where["action"],
            )
        )


def _router(
    raw: Mapping[str, Any], node: str, exits: set[str], problems: list[FlowProblem]
) -> Router | None:
    if raw.get("type") != "switch":
        problems.append(
            FlowProblem(
                "unsupported_router",
                f"a {raw.get('type') or '?'} router is not run here",
                node=node,
            )
        )
        return None
    categories = tuple(
        Category(str(c.get("uuid")), str(c.get("name") or ""), str(c.get("exit_uuid")))
        for c in raw.get("categories") or []
        if isinstance(c, Mapping)
    )
    known = {c.uuid for c in categories}
    if not categories or any(c.exit not in exits for c in categories):
        problems.append(
            FlowProblem("invalid_flow", "each category leads to an exit of the node", node=node)
        )
    cases: list[Case] = []
    for case in raw.get("cases") or []:
        test = str(case.get("type") or "")
        if test not in TESTS:
            problems.append(
                FlowProblem(
                    "unsupported_test",
                    f"test {test or '?'} is not run here",
                    node=node,
                    action=test or None,
                )
            )
            continue
        arguments = tuple(str(a) for a in case.get("arguments") or [])
        for argument in arguments if test != "has_group" else ():
            _check_text(argument, {"node": node, "action": test}, problems)
        if (error := TESTS[test].check(arguments)) is not None:
            problems.append(FlowProblem("invalid_flow", f"{test}: {error}", node=node))
        if str(case.get("category_uuid")) not in known:
            problems.append(
                FlowProblem("invalid_flow", f"a {test} case has no category", node=node)
            )
        cases.append(
            Case(str(case.get("uuid") or ""), test, arguments, str(case.get("category_uuid")))
        )
    operand = str(raw.get("operand") or "@input.text").strip()
    if not _OPERAND.fullmatch(operand):
        problems.append(
            FlowProblem("unsupported_router", f"a switch on {operand} is not run here", node=node)
        )
    default = raw.get("default_category_uuid")
    if default is not None and str(default) not in known:
        problems.append(
            FlowProblem("invalid_flow", "the default category is not one of the node's", node=node)
        )
    wait = raw.get("wait")
    timeout_s = timeout_category = None
    if wait is not None:
        if not isinstance(wait, Mapping) or wait.get("type") != "msg":
            kind = wait.get("type") if isinstance(wait, Mapping) else "?"
            problems.append(
                FlowProblem("unsupported_router", f"a {kind} wait is not run here", node=node)
            )
        elif isinstance(timeout := wait.get("timeout"), Mapping):
            timeout_s = int(timeout.get("seconds") or 0)
            timeout_category = str(timeout.get("category_uuid"))
            if timeout_s <= 0 or timeout_category not in known:
                problems.append(
                    FlowProblem("invalid_flow", "a timeout has seconds and a category", node=node)
                )
    return Router(
        operand=operand,
        cases=tuple(cases),
        categories=categories,
        default_category=str(default) if default is not None else None,
        result_name=(str(raw["result_name"]).strip() or None) if raw.get("result_name") else None,
        waits=wait is not None,
        timeout_s=timeout_s,
        timeout_category=timeout_category,
    )


def _group_refs(spec: Mapping[str, Any]) -> list[str]:
    return [str(g.get("uuid")) for g in spec.get("groups") or [] if isinstance(g, Mapping)]


def resolve_groups(
    raw: Mapping[str, Any], groups: Mapping[str, str]
) -> tuple[dict[str, Any], list[FlowProblem]]:
    """The flow with each group reference (`{uuid, name}` in group actions, `has_group`'s
    argument) naming one of the organisation's groups (`groups`: id -> name): by id, else by
    name (ignoring case and spacing); a group found by neither is a problem
    (`unknown_group`), named."""
    problems: list[FlowProblem] = []
    names = dict(groups)
    by_id = names
    by_name = {" ".join(n.split()).casefold(): i for i, n in groups.items()}

    def group_id(ref: Mapping[str, Any], node: str, action: str | None) -> str | None:
        uuid, name = str(ref.get("uuid") or ""), str(ref.get("name") or "")
        if uuid in by_id:
            return uuid
        found = by_name.get(" ".join(name.split()).casefold())
        if found is None:
            problems.append(
                FlowProblem(
                    "unknown_group",
                    f"no group {name or uuid!r} in this organisation",
                    node=node,
                    action=action,
                )
            )
        return found

    nodes = []
    for raw_node in raw.get("nodes") or []:
        if not isinstance(raw_node, Mapping):
            nodes.append(raw_node)
            continue
        node = dict(raw_node)
        uuid = str(node.get("uuid") or "")
        actions = []
        for raw_action in node.get("actions") or []:
            action = dict(raw_action) if isinstance(raw_action, Mapping) else raw_action
            if isinstance(action, dict) and isinstance(action.get("groups"), list):
                action["groups"] = [
                    {"uuid": found, "name": names.get(found, g.get("name"))}
                    for g in action["groups"]
                    if isinstance(g, Mapping)
                    if (found := group_id(g, uuid, str(action.get("type")))) is not None
                ]
            actions.append(action)
        node["actions"] = actions
        router = node.get("router")
        if isinstance(router, Mapping):
            router = dict(router)
            cases = []
            for raw_case in router.get("cases") or []:
                case = dict(raw_case) if isinstance(raw_case, Mapping) else raw_case
                if isinstance(case, dict) and case.get("type") == "has_group":
                    args = list(case.get("arguments") or [])
                    ref = {
                        "uuid": args[0] if args else "",
                        "name": args[1] if len(args) > 1 else "",
                    }
                    found = group_id(ref, uuid, "has_group")
                    case["arguments"] = [found or "", names.get(found or "", ref["name"])]
                cases.append(case)
            router["cases"] = cases
            node["router"] = router
        nodes.append(node)
    return {**raw, "nodes": nodes}, problems
