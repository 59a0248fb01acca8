"""What the contacts service knows of a group (from the groups service's events): its name for
`group = ...` queries, its staff for restricted staff, a smart group's query for "where used"."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GroupEntry:
    id: str
    org_id: str
    name: str
    type: str
    query: str | None
    staff: tuple[str, ...]
