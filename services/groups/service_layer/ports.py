"""What the groups service's handlers need from the outside world, as `Protocol`s.

The MongoDB adapters implement them in production; the in-memory fakes under `tests/fakes/`
implement them for the unit tests. A group's change is stored with its events (the outbox);
`ImportReplies` answers the importer through the same outbox.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any, Protocol

from services.groups.domain.member import MemberContact
from services.groups.domain.member_change import MemberChange
from services.groups.domain.model import Group, SmartStatus
from services.groups.domain.pending_join import PendingJoin
from shared.contactql.predicates import Predicate
from shared.contracts.imports import GroupMembersImported


class GroupRepository(Protocol):
    """The Group aggregate, and what the membership projection records on it: `member_count`
    and the sequence of the last membership change applied (only its consumer writes them)."""

    async def get(self, org_id: str, group_id: str, *, deleted: bool = False) -> Group | None: ...

    async def find(
        self,
        org_id: str,
        *,
        name: str | None = None,
        type: str | None = None,
        staff: str | None = None,
    ) -> list[Group]:
        """Live groups by name; `name` matches part of it, ignoring case."""

    async def by_name(self, org_id: str, name: str) -> Group | None: ...

    async def count(self, org_id: str) -> int: ...

    async def smart_groups(self, org_id: str) -> list[Group]:
        """Asked for every contact event: may be cached for a moment."""

    async def evaluating(self) -> list[Group]:
        """Smart groups of any organisation whose members still have to follow their query."""

    async def add(self, group: Group) -> None:
        """Raises `DuplicateGroupName` when the name is taken."""

    async def save(self, group: Group, expected_version: int) -> None:
        """Raises `VersionConflict` if someone saved it since `expected_version` was read."""

    async def set_smart_status(
        self, group_id: str, query: str, status: SmartStatus, error: dict[str, Any] | None
    ) -> bool:
        """Only if the query is still the one evaluated; False otherwise."""

    async def applied_seq(self, group_id: str) -> int: ...

    async def begin_apply(self, group_id: str, sequence: int) -> bool:
        """Marks the change as being applied; True if an earlier attempt at this same change
        was interrupted (so the count has to be taken again)."""

    async def record_applied(
        self, group_id: str, sequence: int, *, delta: int = 0, count: int | None = None
    ) -> None: ...

    async def set_member_count(self, group_id: str, count: int, counted_at_seq: int) -> bool:
        """Only if no membership change was applied since the count was taken."""


class ContactProjection(Protocol):
    """The groups service's copy of contacts, with the groups each is in."""

    async def get(self, org_id: str, contact_id: str) -> MemberContact | None: ...

    async def get_many(self, org_id: str, ids: Sequence[str]) -> dict[str, MemberContact]: ...

    async def save(self, contact: MemberContact) -> None:
        """Everything but `groups`, which only the membership consumer writes."""

    async def save_many(self, contacts: Sequence[MemberContact]) -> None: ...

    async def add_many(self, contacts: Sequence[MemberContact]) -> set[str]:
        """New contacts, in the groups they were created in (`contact.groups`); returns the
        ids that were already there (left as they were)."""

    async def add_to_group(
        self, org_id: str, group_id: str, ids: Sequence[str], *, enter_unseen: bool = False
    ) -> tuple[int, list[str]]:
        """Adds those that may be members now; returns how many were not members yet (a
        contact created in the group holds it already, but is counted as it is applied) and
        the ids refused. `enter_unseen`: the contacts service reported these contacts active
        (an import's batch), so those not seen yet are entered as active placeholders
        (version 0, their `ContactCreated` fills them in) and join; otherwise they are
        refused."""

    async def remove_from_group(self, org_id: str, group_id: str, ids: Sequence[str]) -> int:
        """Returns how many were members. A contact not seen yet is entered as gone, so that
        its late `ContactCreated` does not bring the group back."""

    async def remove_group(self, org_id: str, group_id: str) -> int: ...

    async def members(
        self, org_id: str, group_id: str, *, after: str | None, limit: int
    ) -> list[MemberContact]: ...

    def member_pages(self, org_id: str, group_id: str) -> AsyncIterator[list[MemberContact]]:
        """Every member in id order, a page at a time (an export)."""

    async def count_members(self, org_id: str, group_id: str) -> int: ...

    async def groups_of(self, org_id: str, contact_id: str) -> list[str] | None: ...

    def pages(
        self,
        org_id: str,
        *,
        group_id: str | None = None,
        predicate: Predicate | None = None,
        after: str | None = None,
    ) -> AsyncIterator[list[MemberContact]]:
        """Every matching live contact (of a group, if given), in id order, a page at a time."""

    async def memberships(
        self, org_id: str, after: str | None, limit: int
    ) -> list[tuple[str, list[str]]]: ...


class OrganizationUsers(Protocol):
    """The groups service's copy of who belongs to each organisation with which role (from the
    accounts service's events)."""

    async def staff_of(self, org_id: str, user_ids: list[str]) -> set[str]:
        """Those of `user_ids` that are staff of the organisation."""
        ...

    async def apply(self, org_id: str, user_id: str, role: str | None, sequence: int) -> None:
        """The user's role in the organisation (None: not a member) as of `sequence`; an
        older sequence than the one applied changes nothing."""
        ...


class PendingJoinRepository(Protocol):
    """Joins waiting for the contact copy to reach the version they were asked at."""

    async def add(self, join: PendingJoin) -> None:
        """Kept once per id (a redelivered command)."""

    async def for_contacts(self, org_id: str, contact_ids: Sequence[str]) -> list[PendingJoin]: ...

    async def remove(self, ids: Sequence[str]) -> None: ...


class MemberChangeRepository(Protocol):
    async def add(self, change: MemberChange) -> None: ...

    async def get(self, org_id: str, change_id: str) -> MemberChange | None: ...

    async def save(self, change: MemberChange) -> None: ...

    async def running(self) -> list[MemberChange]:
        """Changes not finished yet, of any organisation (resumed at start)."""


class ImportReplies(Protocol):
    async def answer(self, reply: GroupMembersImported, org_id: str) -> None: ...


class BackgroundWork(Protocol):
    """Work that follows a command in the background, in this process."""

    def evaluate(self, org_id: str, group_id: str) -> None:
        """A smart group's members follow its (new) query."""

    def change_members(self, org_id: str, change_id: str) -> None:
        """A change of members by query runs to its end."""
