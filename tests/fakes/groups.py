"""In-memory fakes of the groups service's ports (cosmicpython's FakeRepository), and the service
built over them: the real handlers behind the real bus (`build_bus`), with no Kafka and no store.

Each fake keeps the contract of its MongoDB adapter in `services/groups/adapters/` (names unique
per organisation ignoring case, version checks, tenant scoping, the membership projection's
`applied_seq`, placeholders, id-ordered pages), so what passes here passes there. Where the
adapters do more than their Protocol says, the fakes follow the adapters and the tests say so.

What a real service would publish stays in `FakeGroupRepository.outbox`; `FakeGroupsService.relay`
hands it back to the bus as the service's own consumer would, and `run_background` runs what the
handlers scheduled, as `GroupsBackground` does.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from services.groups.bootstrap import build_bus
from services.groups.domain.commands import (
    ChangeMembers,
    ChangeMembersByQuery,
    CreateGroup,
    EvaluateSmartGroup,
    RunMemberChange,
)
from services.groups.domain.errors import DuplicateGroupName, VersionConflict
from services.groups.domain.member import MEMBER_STATUS, MemberContact
from services.groups.domain.member_change import ChangeStatus, MemberChange
from services.groups.domain.model import Group, GroupType, SmartStatus
from services.groups.domain.pending_join import PendingJoin
from services.groups.service_layer.ports import (
    BackgroundWork,
    ContactProjection,
    GroupRepository,
    ImportReplies,
    MemberChangeRepository,
    PendingJoinRepository,
)
from services.groups.service_layer.results import MembershipOutcome
from services.groups.service_layer.unit_of_work import GroupsUnitOfWork
from shared.auth import Principal, Role
from shared.contactql.evaluate import matches
from shared.contactql.predicates import Predicate
from shared.contracts.accounts import UserJoinedOrganization
from shared.contracts.contacts import (
    ContactCreated,
    ContactStatusName,
    FieldValueRecord,
    OptInRecord,
)
from shared.contracts.envelope import EventPayload
from shared.contracts.groups import group_name_key as name_key
from shared.contracts.imports import GroupMembersImported, ImportedMember, ImportGroupMembers
from shared.contracts.organization_copy import OrganizationCopies
from shared.contracts.organizations import OrganizationUpdated
from shared.messagebus import MessageBus
from tests.fakes.organizations import FakeOrganizationCopies
from tests.support import events
from tests.support.contact_events import (  # noqa: F401 (re-exported for the unit tests)
    contact_anonymized,
    contact_deleted,
    contact_updated,
    status_changed,
)
from tests.support.events import (  # noqa: F401 (re-exported for the unit tests)
    field_changed,
    field_defined,
    field_deleted,
    membership_changed,
)
from tests.support.messages import received

E = TypeVar("E", bound=EventPayload)

ORG = "org-1"
OTHER_ORG = "org-2"
ADMIN = Principal(org_id=ORG, role=Role.ADMIN, subject="ada")
STAFF = Principal(org_id=ORG, role=Role.STAFF, subject="sam")
OTHER_ADMIN = Principal(org_id=OTHER_ORG, role=Role.ADMIN, subject="olu")
T0 = datetime(2026, 1, 1, tzinfo=UTC)


class FixedClock:
    """Time stands still unless a test moves it, so timestamps can be asserted."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, by: timedelta) -> None:
        self.now += by


class SequentialIds:
    """`id-0001`, `id-0002`, ...: predictable, and sorted in the order they were minted."""

    def __init__(self, prefix: str = "id") -> None:
        self._prefix = prefix
        self._count = 0

    def __call__(self) -> str:
        self._count += 1
        return f"{self._prefix}-{self._count:04d}"


@dataclass(frozen=True)
class Published:
    """One event of a group's outbox, as the relay would publish it."""

    org_id: str
    group_id: str
    payload: EventPayload
    sequence: int


@dataclass
class _GroupRow:
    """A group's document: its state and what only the membership projection writes."""

    group: Group
    applied_seq: int = 0
    applying_seq: int | None = None


def _stored_group(group: Group) -> Group:
    """A copy the caller cannot change behind the repository's back, without pending events."""
    return replace(
        group,
        staff=list(group.staff),
        smart_error=dict(group.smart_error) if group.smart_error is not None else None,
        events=[],
        query_changed=False,
    )


class FakeGroupRepository:
    """`MongoGroupRepository` in memory: one row per group, events appended to `outbox`."""

    def __init__(self) -> None:
        self._rows: dict[str, _GroupRow] = {}
        self.outbox: list[Published] = []

    async def get(self, org_id: str, group_id: str, *, deleted: bool = False) -> Group | None:
        row = self._rows.get(group_id)
        if row is None or row.group.org_id != org_id or (row.group.deleted and not deleted):
            return None
        return _stored_group(row.group)

    async def find(
        self,
        org_id: str,
        *,
        name: str | None = None,
        type: str | None = None,
        staff: str | None = None,
    ) -> list[Group]:
        found = [
            row.group
            for row in self._rows.values()
            if row.group.org_id == org_id
            and not row.group.deleted
            and (not name or name.strip().casefold() in row.group.name.casefold())
            and (not type or row.group.type.value == type)
            and (staff is None or staff in row.group.staff)
        ]
        return [_stored_group(g) for g in sorted(found, key=lambda g: name_key(g.name))]

    async def by_name(self, org_id: str, name: str) -> Group | None:
        """Like the adapter: the name trimmed, compared ignoring case."""
        row = self._live_named(org_id, name_key(name.strip()))
        return _stored_group(row.group) if row else None

    async def count(self, org_id: str) -> int:
        return len(await self.find(org_id))

    async def smart_groups(self, org_id: str) -> list[Group]:
        """No cache: the adapter's own writes refresh its cache at once anyway."""
        return await self.find(org_id, type=GroupType.SMART.value)

    async def evaluating(self) -> list[Group]:
        return [
            _stored_group(row.group)
            for row in self._rows.values()
            if row.group.smart_status is SmartStatus.EVALUATING and not row.group.deleted
        ]

    async def add(self, group: Group) -> None:
        taken = group.id in self._rows or self._live_named(group.org_id, name_key(group.name))
        if taken:
            raise DuplicateGroupName("a group with this name exists", name=group.name)
        self._rows[group.id] = _GroupRow(replace(_stored_group(group), member_count=0))
        self._publish(group)

    async def save(self, group: Group, expected_version: int) -> None:
        """State and events only: `member_count` stays the projection's, and the smart status
        the evaluation's unless the query changed (the adapter's `_smart_state`)."""
        row = self._rows.get(group.id)
        if row is None or row.group.version != expected_version:
            raise VersionConflict(
                "the group was changed by someone else", expected_version=expected_version
            )
        other = None if group.deleted else self._live_named(group.org_id, name_key(group.name))
        if other is not None and other is not row:
            raise DuplicateGroupName("a group with this name exists", name=group.name)
        kept = replace(_stored_group(group), member_count=row.group.member_count)
        if not group.query_changed:
            kept.smart_status, kept.smart_error = row.group.smart_status, row.group.smart_error
        row.group = kept
        self._publish(group)

    async def set_smart_status(
        self, group_id: str, query: str, status: SmartStatus, error: dict[str, Any] | None
    ) -> bool:
        row = self._rows.get(group_id)
        if row is None or row.group.query != query:
            return False
        row.group.smart_status, row.group.smart_error = status, error
        return True

    async def applied_seq(self, group_id: str) -> int:
        row = self._rows.get(group_id)
        return row.applied_seq if row else 0

    async def begin_apply(self, group_id: str, sequence: int) -> bool:
        row = self._rows.get(group_id)
        if row is None:
            return False
        interrupted = row.applying_seq == sequence
        row.applying_seq = sequence
        return interrupted

    async def record_applied(
        self, group_id: str, sequence: int, *, delta: int = 0, count: int | None = None
    ) -> None:
        row = self._rows.get(group_id)
        if row is None:
            return
        row.applied_seq = sequence
        row.group.member_count = count if count is not None else row.group.member_count + delta

    async def set_member_count(self, group_id: str, count: int, counted_at_seq: int) -> bool:
        row = self._rows.get(group_id)
        if row is None or row.applied_seq != counted_at_seq:
            return False
        row.group.member_count = count
        return True

    # What tests look at.

    def published(self, kind: type[E], group_id: str | None = None) -> list[E]:
        """The payloads of this type written so far (of one group if given), in order."""
        return [
            p.payload
            for p in self.outbox
            if isinstance(p.payload, kind) and group_id in (None, p.group_id)
        ]

    def sequences(self, group_id: str) -> list[int]:
        return [p.sequence for p in self.outbox if p.group_id == group_id]

    def _live_named(self, org_id: str, key: str) -> _GroupRow | None:
        for row in self._rows.values():
            g = row.group
            if g.org_id == org_id and not g.deleted and name_key(g.name) == key:
                return row
        return None

    def _publish(self, group: Group) -> None:
        self.outbox.extend(
            Published(group.org_id, group.id, event, sequence) for event, sequence in group.events
        )
        group.events.clear()


def _copy_contact(contact: MemberContact, groups: Sequence[str] | None = None) -> MemberContact:
    kept = contact.groups if groups is None else groups
    return replace(contact, fields=dict(contact.fields), groups=list(kept))


class FakeContactProjection:
    """`MongoContactProjection` in memory. Ids are unique across organisations (the `_id`),
    reads check the tenant; `groups` is written by the membership methods, and at first as a
    contact is created in its groups. `_listed` is the membership index: (group, contact) pairs
    the membership methods counted."""

    def __init__(self, page_size: int = 1000) -> None:
        self.page_size = page_size
        # Failure injection: `pages` raises after yielding this many pages (a store outage).
        self.fail_pages_after: int | None = None
        self._contacts: dict[str, MemberContact] = {}
        self._listed: set[tuple[str, str]] = set()

    async def get(self, org_id: str, contact_id: str) -> MemberContact | None:
        contact = self._contacts.get(contact_id)
        return _copy_contact(contact) if contact and contact.org_id == org_id else None

    async def get_many(self, org_id: str, ids: Sequence[str]) -> dict[str, MemberContact]:
        found = (self._contacts.get(i) for i in dict.fromkeys(ids))
        return {c.id: _copy_contact(c) for c in found if c is not None and c.org_id == org_id}

    async def save(self, contact: MemberContact) -> None:
        before = self._contacts.get(contact.id)
        self._contacts[contact.id] = _copy_contact(contact, before.groups if before else [])

    async def save_many(self, contacts: Sequence[MemberContact]) -> None:
        for contact in contacts:
            await self.save(contact)

    async def add_many(self, contacts: Sequence[MemberContact]) -> set[str]:
        known: set[str] = set()
        for contact in contacts:
            if contact.id in self._contacts:
                known.add(contact.id)
            else:
                self._contacts[contact.id] = _copy_contact(contact)
        return known

    async def add_to_group(
        self, org_id: str, group_id: str, ids: Sequence[str], *, enter_unseen: bool = False
    ) -> tuple[int, list[str]]:
        """As the adapter: members are added once each, and counted as they are listed."""
        for contact_id in ids if enter_unseen else ():
            if contact_id not in self._contacts:
                self._contacts[contact_id] = MemberContact(
                    id=contact_id, org_id=org_id, status=MEMBER_STATUS, version=0
                )
        found = {i: c for i in ids if (c := self._contacts.get(i)) and c.org_id == org_id}
        refused = [i for i in ids if i not in found or not found[i].can_be_member]
        joined = 0
        for contact_id in dict.fromkeys(i for i in ids if i in found and found[i].can_be_member):
            if group_id not in found[contact_id].groups:
                self._contacts[contact_id].groups.append(group_id)
            if (group_id, contact_id) not in self._listed:
                self._listed.add((group_id, contact_id))
                joined += 1
        return joined, refused

    async def remove_from_group(self, org_id: str, group_id: str, ids: Sequence[str]) -> int:
        left = 0
        for contact_id in dict.fromkeys(ids):
            contact = self._contacts.get(contact_id)
            if contact is None:  # not seen yet: its late ContactCreated keeps out of the group
                contact = MemberContact(id=contact_id, org_id=org_id, version=0, gone=True)
                self._contacts[contact_id] = contact
            if group_id in contact.groups:
                contact.groups.remove(group_id)
            if (group_id, contact_id) in self._listed:
                self._listed.discard((group_id, contact_id))
                left += 1
        return left

    async def remove_group(self, org_id: str, group_id: str) -> int:
        members = self._in_group(org_id, group_id)
        for contact in members:
            contact.groups.remove(group_id)
        self._listed = {(g, c) for g, c in self._listed if g != group_id}
        return len(members)

    async def members(
        self, org_id: str, group_id: str, *, after: str | None, limit: int
    ) -> list[MemberContact]:
        members = [c for c in self._in_group(org_id, group_id) if after is None or c.id > after]
        return [_copy_contact(c) for c in members[:limit]]

    async def member_pages(self, org_id: str, group_id: str) -> AsyncIterator[list[MemberContact]]:
        async for page in self.pages(org_id, group_id=group_id):
            yield page

    async def count_members(self, org_id: str, group_id: str) -> int:
        return len(self._in_group(org_id, group_id))

    async def groups_of(self, org_id: str, contact_id: str) -> list[str] | None:
        contact = await self.get(org_id, contact_id)
        return None if contact is None or contact.gone else contact.groups

    async def pages(
        self,
        org_id: str,
        *,
        group_id: str | None = None,
        predicate: Predicate | None = None,
        after: str | None = None,
    ) -> AsyncIterator[list[MemberContact]]:
        """As the adapter: a group's members (gone ones too, until they leave), or else the
        organisation's live contacts; matching the predicate, after `after`, by id."""
        if group_id is not None:
            scope = self._in_group(org_id, group_id)
        else:
            scope = self._sorted(c for c in self._contacts.values() if c.org_id == org_id)
            scope = [c for c in scope if not c.gone]
        selected = [
            _copy_contact(c)
            for c in scope
            if (after is None or c.id > after) and (predicate is None or matches(predicate, c))
        ]
        for number, start in enumerate(range(0, len(selected), self.page_size)):
            if self.fail_pages_after is not None and number >= self.fail_pages_after:
                raise ConnectionError("the store went away during the scan")
            yield selected[start : start + self.page_size]

    async def memberships(
        self, org_id: str, after: str | None, limit: int
    ) -> list[tuple[str, list[str]]]:
        found = self._sorted(
            c
            for c in self._contacts.values()
            if c.org_id == org_id and c.groups and (after is None or c.id > after)
        )
        return [(c.id, list(c.groups)) for c in found[:limit]]

    # What tests set up and look at.

    def seed(self, *contacts: MemberContact) -> None:
        """Contacts as if projected earlier, groups included (for large or odd set-ups)."""
        for contact in contacts:
            self._contacts[contact.id] = _copy_contact(contact)
            self._listed |= {(group_id, contact.id) for group_id in contact.groups}

    def stored(self, contact_id: str) -> MemberContact | None:
        contact = self._contacts.get(contact_id)
        return _copy_contact(contact) if contact else None

    def _in_group(self, org_id: str, group_id: str) -> list[MemberContact]:
        return self._sorted(
            c for c in self._contacts.values() if c.org_id == org_id and group_id in c.groups
        )

    @staticmethod
    def _sorted(contacts: Iterable[MemberContact]) -> list[MemberContact]:
        return sorted(contacts, key=lambda c: c.id)


class FakeMemberChangeRepository:
    def __init__(self) -> None:
        self._changes: dict[str, MemberChange] = {}

    async def add(self, change: MemberChange) -> None:
        self._changes[change.id] = replace(change)

    async def get(self, org_id: str, change_id: str) -> MemberChange | None:
        change = self._changes.get(change_id)
        return replace(change) if change and change.org_id == org_id else None

    async def save(self, change: MemberChange) -> None:
        self._changes[change.id] = replace(change)

    async def running(self) -> list[MemberChange]:
        return [replace(c) for c in self._changes.values() if c.status is ChangeStatus.RUNNING]


class FakePendingJoinRepository:
    def __init__(self) -> None:
        self.joins: dict[str, PendingJoin] = {}

    async def add(self, join: PendingJoin) -> None:
        self.joins.setdefault(join.id, join)

    async def for_contacts(self, org_id: str, contact_ids: Sequence[str]) -> list[PendingJoin]:
        wanted = set(contact_ids)
        return [j for j in self.joins.values() if j.org_id == org_id and j.contact_id in wanted]

    async def remove(self, ids: Sequence[str]) -> None:
        for join_id in ids:
            self.joins.pop(join_id, None)


class FakeOrganizationUsers:
    """Each organisation's members with their role, as the accounts service's events said."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], tuple[str | None, int]] = {}

    async def staff_of(self, org_id: str, user_ids: list[str]) -> set[str]:
        return {u for u in user_ids if self.rows.get((org_id, u), (None, 0))[0] == "staff"}

    async def apply(self, org_id: str, user_id: str, role: str | None, sequence: int) -> None:
        if self.rows.get((org_id, user_id), (None, 0))[1] < sequence:
            self.rows[(org_id, user_id)] = (role, sequence)


class FakeImportReplies:
    """Keeps the answers the importer would receive, in order."""

    def __init__(self) -> None:
        self.answers: list[tuple[GroupMembersImported, str]] = []

    async def answer(self, reply: GroupMembersImported, org_id: str) -> None:
        self.answers.append((reply, org_id))


BackgroundCommand = EvaluateSmartGroup | RunMemberChange


class FakeBackgroundWork:
    """Records what handlers schedule; `run` carries it out through the bus like
    `GroupsBackground` (a run answering False is run again)."""

    MAX_RUNS = 100

    def __init__(self) -> None:
        self.scheduled: list[BackgroundCommand] = []

    def evaluate(self, org_id: str, group_id: str) -> None:
        self.scheduled.append(EvaluateSmartGroup(org_id, group_id))

    def change_members(self, org_id: str, change_id: str) -> None:
        self.scheduled.append(RunMemberChange(org_id, change_id))

    async def run(
        self, handle: Callable[[object], Awaitable[object]]
    ) -> list[tuple[BackgroundCommand, object]]:
        ran: list[tuple[BackgroundCommand, object]] = []
        while self.scheduled:
            if len(ran) == self.MAX_RUNS:
                raise AssertionError(f"background work does not finish: {self.scheduled}")
            command = self.scheduled.pop(0)
            result = await handle(command)
            ran.append((command, result))
            if not result:
                self.scheduled.append(command)
        return ran


# mypy checks here that every fake satisfies its port, as the adapters do.
_GROUPS: GroupRepository = FakeGroupRepository()
_CONTACTS: ContactProjection = FakeContactProjection()
_ORGANIZATIONS: OrganizationCopies = FakeOrganizationCopies()
_MEMBER_CHANGES: MemberChangeRepository = FakeMemberChangeRepository()
_PENDING_JOINS: PendingJoinRepository = FakePendingJoinRepository()
_REPLIES: ImportReplies = FakeImportReplies()
_BACKGROUND: BackgroundWork = FakeBackgroundWork()


class FakeCatchUp:
    """The consumer catching up while a request waits: what the test queued in `arrivals` is
    delivered when a handler first waits, then the handler's check runs again."""

    def __init__(self) -> None:
        self.arrivals: list[Callable[[], Awaitable[None]]] = []
        self.waits = 0

    async def until(self, ready: Callable[[], Awaitable[bool]]) -> bool:
        self.waits += 1
        if await ready():
            return True
        while self.arrivals:
            await self.arrivals.pop(0)()
            if await ready():
                return True
        return False


@dataclass
class FakeGroupsService:
    """The groups service over the fakes: its bus, and what the bus was built with."""

    groups: FakeGroupRepository
    contacts: FakeContactProjection
    organizations: FakeOrganizationCopies
    member_changes: FakeMemberChangeRepository
    pending_joins: FakePendingJoinRepository
    replies: FakeImportReplies
    background: FakeBackgroundWork
    clock: FixedClock
    uow: GroupsUnitOfWork
    bus: MessageBus
    catch_up: FakeCatchUp
    users: FakeOrganizationUsers
    relayed: int = 0

    async def receive(
        self, payload: EventPayload, sequence: int | None = 1, org_id: str = ORG
    ) -> None:
        """One message as the Kafka consumer would hand it over."""
        await self.bus.handle(received(payload, org_id, sequence))

    async def relay(self) -> list[Published]:
        """Hands the groups' new events back to the bus, in the order they were written, as
        the outbox relay and the service's own consumer do; until none is left."""
        delivered: list[Published] = []
        while self.relayed < len(self.groups.outbox):
            item = self.groups.outbox[self.relayed]
            self.relayed += 1
            await self.receive(item.payload, item.sequence, item.org_id)
            delivered.append(item)
        return delivered

    async def run_background(self) -> list[tuple[BackgroundCommand, object]]:
        return await self.background.run(self.bus.handle)

    async def settle(self) -> None:
        """Background work and relayed events until nothing is left to do."""
        while await self.run_background() or await self.relay():
            pass

    # Set-ups many tests share.

    async def staff_joined(self, *user_ids: str, org_id: str = ORG) -> None:
        """Users who joined the organisation as staff, as the accounts service announces it."""
        for user_id in user_ids:
            await self.receive(
                UserJoinedOrganization(user_id=user_id, role="staff", name=user_id), 1, org_id
            )

    async def create_group(self, name: str, *, by: Principal = ADMIN, **attrs: Any) -> Group:
        group = await self.bus.handle(CreateGroup(by=by, name=name, **attrs))
        assert isinstance(group, Group)
        return group

    async def create_contacts(self, *ids: str, org_id: str = ORG, **attrs: Any) -> None:
        """Active contacts (unless `status` says otherwise), each at sequence 1, in one run."""
        await self.bus.handle_many([received(contact_created(i, **attrs), org_id) for i in ids])

    async def add_members(
        self, group_id: str, *ids: str, by: Principal = ADMIN
    ) -> MembershipOutcome:
        outcome = await self.bus.handle(ChangeMembers(by, group_id, add=True, contact_ids=[*ids]))
        await self.relay()
        assert isinstance(outcome, MembershipOutcome)
        return outcome

    async def remove_members(
        self, group_id: str, *ids: str, by: Principal = ADMIN
    ) -> MembershipOutcome:
        outcome = await self.bus.handle(ChangeMembers(by, group_id, add=False, contact_ids=[*ids]))
        await self.relay()
        assert isinstance(outcome, MembershipOutcome)
        return outcome

    async def change_by_query(
        self, group_id: str, query: str, *, add: bool = True, by: Principal = ADMIN
    ) -> MemberChange:
        """Recorded and scheduled only: `run_background` (or `settle`) carries it out."""
        change = await self.bus.handle(ChangeMembersByQuery(by, group_id, add=add, query=query))
        assert isinstance(change, MemberChange)
        return change

    async def group(self, group_id: str, org_id: str = ORG) -> Group:
        group = await self.groups.get(org_id, group_id, deleted=True)
        assert group is not None, group_id
        return group

    async def members(self, group_id: str, org_id: str = ORG) -> list[str]:
        found = await self.contacts.members(org_id, group_id, after=None, limit=1_000_000)
        return [c.id for c in found]


def build_fake_groups(*, max_groups: int = 250) -> FakeGroupsService:
    groups, contacts = FakeGroupRepository(), FakeContactProjection()
    organizations, member_changes = FakeOrganizationCopies(), FakeMemberChangeRepository()
    replies, background, clock = FakeImportReplies(), FakeBackgroundWork(), FixedClock()
    catch_up, pending_joins = FakeCatchUp(), FakePendingJoinRepository()
    users = FakeOrganizationUsers()
    uow = GroupsUnitOfWork(
        groups=groups,
        contacts=contacts,
        organizations=organizations,
        member_changes=member_changes,
        pending_joins=pending_joins,
        users=users,
        max_groups=max_groups,
        clock=clock,
        new_id=SequentialIds(),
    )
    return FakeGroupsService(
        groups=groups,
        contacts=contacts,
        organizations=organizations,
        member_changes=member_changes,
        pending_joins=pending_joins,
        replies=replies,
        background=background,
        clock=clock,
        uow=uow,
        bus=build_bus(uow, replies, background, catch_up),
        catch_up=catch_up,
        users=users,
    )


# Messages as other services send them (each contact's, field's and organisation's sequence is
# the caller's to give, as the contacts service would).


def contact_created(
    contact_id: str,
    *,
    name: str | None = None,
    status: ContactStatusName = "active",
    fields: Mapping[str, FieldValueRecord] | None = None,
    groups: Sequence[str] = (),
) -> ContactCreated:
    """`groups`: the groups an import created the contact in."""
    return ContactCreated(
        contact_id=contact_id,
        name=name,
        phone=f"+2547{zlib.crc32(contact_id.encode()) % 10**8:08d}",
        secondary_phone=None,
        email=None,
        category=None,
        language="eng",
        fields=dict(fields or {}),
        status=status,
        opt_in=OptInRecord(),
        created_at=T0,
        groups=list(groups),
    )


def number(value: int) -> FieldValueRecord:
    return FieldValueRecord(text=str(value), type="number", value=value)


def organization_updated(timezone: str, default_country: str | None) -> OrganizationUpdated:
    return events.organization_updated(ORG, timezone=timezone, default_country=default_country)


def import_members(
    batch: int,
    *members: tuple[int, str, Sequence[str]],
    entered: Mapping[str, Sequence[str]] | None = None,
) -> ImportGroupMembers:
    """`(row, contact_id, group names)` per member; `entered`: by contact id, the ids of the
    groups the contacts service created it in."""
    return ImportGroupMembers(
        import_id="imp-1",
        batch=batch,
        members=[
            ImportedMember(
                row=r, contact_id=c, groups=list(g), entered=list((entered or {}).get(c, ()))
            )
            for r, c, g in members
        ],
    )
