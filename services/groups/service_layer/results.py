"""What the groups service's commands answer, beside the aggregates themselves."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class MembershipOutcome:
    """Per id: changed, unchanged (already a member / not a member), or refused with a reason."""

    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Recount:
    group_id: str
    before: int
    after: int
