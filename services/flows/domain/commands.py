"""The flows service's commands: what its API and its background work ask of it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shared.auth import Principal


@dataclass(frozen=True)
class UpdateKeywords:
    """The organisation's opt-out and opt-in words by language, what a stopped contact's
    other messages do, the confirmation and welcome sent, and the group an opt-in joins;
    `version` is the one read (409 if it moved on)."""

    by: Principal
    opt_out: dict[str, list[str]]
    opt_in: dict[str, list[str]]
    reactivate_on_any_message: bool
    version: int
    opt_out_reply: str | None = None
    opt_in_reply: str | None = None
    opt_in_group_id: str | None = None


@dataclass(frozen=True)
class CreateFlow:
    by: Principal
    definition: dict[str, Any]


@dataclass(frozen=True)
class UpdateFlow:
    by: Principal
    flow_id: str
    definition: dict[str, Any]
    version: int  # the one read (409 if it moved on)


@dataclass(frozen=True)
class DeleteFlow:
    """Its active runs are interrupted."""

    by: Principal
    flow_id: str


@dataclass(frozen=True)
class ImportFlows:
    """A RapidPro/TextIt export: `{version, flows: [...], fields, groups}`."""

    by: Principal
    export: dict[str, Any]


@dataclass(frozen=True)
class StartFlow:
    """For the groups' members, the contacts named and the contacts a contactql `query` matches
    (RapidPro's "start for contacts matching"); `exclude_in_a_flow` skips contacts with an
    active run (else it is interrupted), `started_previously_days` those who started this flow
    that recently. `preview`: count, start nobody."""

    by: Principal
    flow_id: str
    channel_id: str
    groups: list[str] = field(default_factory=list)
    contact_ids: list[str] = field(default_factory=list)
    query: str | None = None
    exclude_in_a_flow: bool = False
    started_previously_days: int | None = None
    preview: bool = False
    # The same key again starts nobody twice (a client's retry after a lost answer or a crash
    # mid-start): each contact's run id is made from it.
    idempotency_key: str | None = None


WAKE_BATCH = 200


@dataclass(frozen=True)
class WakeRuns:
    """Runs whose wait timed out or whose flow expired them (from the background work), at
    most `WAKE_BATCH` at a time; answers how many were due."""


@dataclass(frozen=True)
class CreateTrigger:
    """`keyword` None: the catch-all."""

    by: Principal
    flow_id: str
    keyword: str | None
    match: str = "only"
    channel_id: str | None = None
    include_groups: list[str] = field(default_factory=list)
    exclude_groups: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class UpdateTrigger:
    by: Principal
    trigger_id: str
    changes: dict[str, Any]
    version: int


@dataclass(frozen=True)
class DeleteTrigger:
    by: Principal
    trigger_id: str
