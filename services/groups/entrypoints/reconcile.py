"""`roster reconcile groups`: do the groups service's members, the contacts service's
`contact.groups` projection and each group's `member_count` agree?

Both services are read through their APIs (`/v1/admin/groups/memberships`,
`/v1/admin/contacts/memberships`), never their databases.
Events in flight make drift appear for a moment, so only drift seen twice, `settle_s` apart, is
reported. Repairs go through the groups service, which owns memberships: it announces the
memberships again (the contacts service's projection follows the events) and recounts.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import httpx

from shared.http.memberships import CONTACTS_MEMBERSHIPS, GROUPS_MEMBERSHIPS

Members = dict[str, set[str]]  # group id → contact ids


@dataclass
class Drift:
    """Per group: members only the groups service has, only the contacts service has, and
    stored versus real member counts; memberships of groups that no longer exist."""

    missing_in_contacts: Members = field(default_factory=dict)
    extra_in_contacts: Members = field(default_factory=dict)
    counts: dict[str, tuple[int, int]] = field(default_factory=dict)
    unknown_groups: Members = field(default_factory=dict)

    @property
    def total(self) -> int:
        return (
            sum(len(v) for v in self.missing_in_contacts.values())
            + sum(len(v) for v in self.extra_in_contacts.values())
            + len(self.counts)
            + sum(len(v) for v in self.unknown_groups.values())
        )

    def both(self, other: Drift) -> Drift:
        """Only what both comparisons found."""

        def common(a: Members, b: Members) -> Members:
            found = {g: a[g] & b.get(g, set()) for g in a}
            return {g: ids for g, ids in found.items() if ids}

        return Drift(
            missing_in_contacts=common(self.missing_in_contacts, other.missing_in_contacts),
            extra_in_contacts=common(self.extra_in_contacts, other.extra_in_contacts),
            counts={g: other.counts[g] for g in self.counts if g in other.counts},
            unknown_groups=common(self.unknown_groups, other.unknown_groups),
        )

    def report(self) -> dict[str, Any]:
        return {
            "drift": self.total,
            "missing_in_contacts": {g: len(v) for g, v in self.missing_in_contacts.items()},
            "extra_in_contacts": {g: len(v) for g, v in self.extra_in_contacts.items()},
            "member_counts": {g: {"stored": s, "actual": a} for g, (s, a) in self.counts.items()},
            "unknown_groups": {g: len(v) for g, v in self.unknown_groups.items()},
        }


async def _members(client: httpx.AsyncClient, path: str) -> Members:
    members: Members = defaultdict(set)
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 5000, **({"cursor": cursor} if cursor else {})}
        response = await client.get(path, params=params)
        response.raise_for_status()
        body = response.json()
        for item in body["items"]:
            for group_id in item["groups"]:
                members[group_id].add(item["id"])
        cursor = body["next_cursor"]
        if not cursor:
            return members


async def compare(groups: httpx.AsyncClient, contacts: httpx.AsyncClient) -> Drift:
    listing = await groups.get("/v1/groups")
    listing.raise_for_status()
    counts = {g["id"]: g["member_count"] for g in listing.json()["items"]}
    ours = await _members(groups, GROUPS_MEMBERSHIPS)
    theirs = await _members(contacts, CONTACTS_MEMBERSHIPS)
    drift = Drift()
    for group_id, stored in counts.items():
        here, there = ours.get(group_id, set()), theirs.get(group_id, set())
        if here - there:
            drift.missing_in_contacts[group_id] = here - there
        if there - here:
            drift.extra_in_contacts[group_id] = there - here
        if stored != len(here):
            drift.counts[group_id] = (stored, len(here))
    for group_id, ids in theirs.items():
        if group_id not in counts:
            drift.unknown_groups[group_id] = ids
    return drift


async def repair(groups: httpx.AsyncClient, drift: Drift) -> None:
    for group_id in {*drift.missing_in_contacts, *drift.extra_in_contacts}:
        body = {
            "added": sorted(drift.missing_in_contacts.get(group_id, ())),
            "removed": sorted(drift.extra_in_contacts.get(group_id, ())),
        }
        response = await groups.post(f"/v1/admin/groups/{group_id}/republish", json=body)
        response.raise_for_status()
    for group_id in drift.counts:
        response = await groups.post(f"/v1/admin/groups/{group_id}/recount")
        response.raise_for_status()


async def reconcile(
    groups: httpx.AsyncClient, contacts: httpx.AsyncClient, *, settle_s: float, fix: bool
) -> Drift:
    """The drift that persisted over `settle_s`; repaired when `fix` (repairs of groups that
    no longer exist are left to their GroupDeleted event and only reported)."""
    first = await compare(groups, contacts)
    if first.total:
        await asyncio.sleep(settle_s)
        first = first.both(await compare(groups, contacts))
    if fix and first.total:
        await repair(groups, first)
    return first
