"""The flows service's commands: what its API asks of it."""

from __future__ import annotations

from dataclasses import dataclass

from shared.auth import Principal


@dataclass(frozen=True)
class UpdateKeywords:
    """The organisation's opt-out and opt-in words by language, and what a stopped contact's
    other messages do; `version` is the one read (409 if it moved on)."""

    by: Principal
    opt_out: dict[str, list[str]]
    opt_in: dict[str, list[str]]
    reactivate_on_any_message: bool
    version: int
