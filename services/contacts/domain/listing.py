"""How contacts are listed: the filter a page is selected by, and the sort orders offered.

Pure values: routes build them from query parameters, repositories turn them into queries."""

from __future__ import annotations

from dataclasses import dataclass

from shared.contactql.predicates import Predicate

ASCENDING, DESCENDING = 1, -1

# Sort name → (stored attribute, direction); `_id` in the same direction breaks ties.
SORTS: dict[str, tuple[str, int]] = {
    "created_at": ("created_at", ASCENDING),
    "-created_at": ("created_at", DESCENDING),
    "updated_at": ("updated_at", ASCENDING),
    "-updated_at": ("updated_at", DESCENDING),
    "name": ("name_sort", ASCENDING),
    "-name": ("name_sort", DESCENDING),
}


@dataclass(frozen=True)
class ContactFilter:
    status: str | None = "active"
    q: str | None = None
    category: str | None = None
    group: str | None = None
    query: Predicate | None = None
    # Restricted staff: only contacts in one of these groups (None: no restriction).
    within_groups: tuple[str, ...] | None = None
