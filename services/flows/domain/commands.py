"""The flows service's commands: what its API asks of it."""

from __future__ import annotations

from dataclasses import dataclass

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
