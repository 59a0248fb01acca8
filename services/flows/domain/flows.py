"""A flow as the organisation keeps it: its goflow definition (as written, with its groups
named by the organisation's ids), read and checked whenever it is saved, and its version
(every save moves it on; a run names the version it started on)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.flows.domain.errors import InvalidFlow
from services.flows.domain.flow_definition import FlowDefinition, read_flow, resolve_groups

MAX_NAME = 128


@dataclass
class Flow:
    id: str
    org_id: str
    name: str
    definition: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    version: int = 1
    deleted: bool = False

    @property
    def readable(self) -> FlowDefinition:
        flow, problems = read_flow(self.definition)
        if flow is None:  # checked when saved: only a rule changed since could break it
            raise InvalidFlow("the flow cannot be run", problems=[p.as_dict() for p in problems])
        return flow

    @property
    def expire_after_minutes(self) -> int:
        return self.readable.expire_after_minutes

    def change(self, definition: Mapping[str, Any], groups: Mapping[str, str],
               now: datetime) -> None:  # fmt: skip
        self.definition, self.name = checked(definition, groups)
        self.version += 1
        self.updated_at = now


def checked(raw: Mapping[str, Any], groups: Mapping[str, str]) -> tuple[dict[str, Any], str]:
    """The definition with its groups named by id, and its name; or `invalid_flow` with every
    problem named."""
    if not isinstance(raw, Mapping):
        raise InvalidFlow("a flow is a JSON object")
    resolved, problems = resolve_groups(raw, groups)
    flow, more = read_flow(resolved)
    problems += more
    if flow is None or problems:
        raise InvalidFlow(
            f"the flow {str(raw.get('name') or '')!r} cannot be run here",
            problems=[p.as_dict() for p in problems],
        )
    return resolved, flow.name[:MAX_NAME]
