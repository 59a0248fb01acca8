"""In-memory fakes of every port of the contacts service (cosmicpython's FakeRepository and
FakeUnitOfWork), and the harness the unit tests drive the service's real bus through.

Each fake keeps the contract of its MongoDB adapter (`services/contacts/adapters/`), not only the
signatures of its `Protocol`, because the handlers rely on that contract: a taken phone names its
holder, a stale version is refused, a deleted contact is a tombstone nobody reads, another
organisation's ids answer None, projections drop events older than what they applied.

What the adapters would write to their outboxes lands in one `FakeOutbox`, in order, so a test
asserts what the service would publish. Passing each fake where `ContactsUnitOfWork` and
`build_bus` expect its port is the structural check: mypy refuses a fake that drifts from it.
"""

from __future__ import annotations

import builtins
import copy
import itertools
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from services.contacts.bootstrap import build_bus
from services.contacts.domain.commands import (
    ChangeContactStatus,
    ContactInput,
    CreateContact,
    DefineField,
    ReconcileFieldValues,
    UpdateContact,
    UpdateOrganization,
)
from services.contacts.domain.errors import DuplicateField, DuplicatePhone, VersionConflict
from services.contacts.domain.fields import ConversionReport, FieldDefinition
from services.contacts.domain.groups import GroupEntry
from services.contacts.domain.listing import SORTS, ContactFilter
from services.contacts.domain.model import Contact
from services.contacts.domain.organization import Organization
from services.contacts.service_layer.ports import (
    MARKS_KEPT,
    ImportedChange,
    ImportMark,
    ImportMarks,
)
from services.contacts.service_layer.unit_of_work import ContactsUnitOfWork
from shared.auth import Principal, Role
from shared.contactql.evaluate import matches
from shared.contactql.values import FieldType
from shared.contracts.envelope import EventPayload
from shared.contracts.imports import ContactRowsImported, ImportContactRows, ImportedRow
from shared.messagebus import MessageBus
from tests.support.events import (  # noqa: F401 (re-exported for the unit tests)
    group_created,
    group_deleted,
    group_updated,
    membership_changed,
)
from tests.support.messages import received

E = TypeVar("E", bound=EventPayload)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ORG = "org-a"
OTHER_ORG = "org-b"


# --- clock and ids -------------------------------------------------------------------------


class FakeClock:
    """Stands still until a test moves it, so every time in state and events is known."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float = 1) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


class SequentialIds:
    """`contact-0001`, `contact-0002`, ...: ids sort in the order they were minted."""

    def __init__(self, prefix: str = "contact") -> None:
        self.prefix = prefix
        self._next = itertools.count(1)

    def __call__(self) -> str:
        return f"{self.prefix}-{next(self._next):04d}"


# --- the outbox ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Published:
    """One outbox entry: what the relay would publish, with the envelope attributes that matter."""

    subject: str
    org_id: str
    sequence: int | None
    payload: EventPayload


class FakeOutbox:
    """Every event the adapters would have stored with their writes, in write order."""

    def __init__(self) -> None:
        self.entries: list[Published] = []

    def record(
        self, events: Sequence[EventPayload], *, subject: str, org_id: str, sequence: int | None
    ) -> None:
        """Events of one change all carrying the same sequence (fields, replies)."""
        self.entries += [Published(subject, org_id, sequence, e) for e in events]

    def record_versioned(
        self, events: Sequence[EventPayload], *, subject: str, org_id: str, version: int
    ) -> None:
        """Events of one change in which each advanced the aggregate's version by one."""
        first = version - len(events) + 1
        self.entries += [
            Published(subject, org_id, first + offset, e) for offset, e in enumerate(events)
        ]

    def events(self, subject: str) -> list[EventPayload]:
        return [entry.payload for entry in self.entries if entry.subject == subject]

    def kinds(self, subject: str) -> list[str]:
        """The event types published about `subject`, in order."""
        return [event.event_type for event in self.events(subject)]

    def of_type(self, kind: type[E]) -> list[E]:
        return [entry.payload for entry in self.entries if isinstance(entry.payload, kind)]

    def sequences(self, subject: str) -> list[int | None]:
        return [entry.sequence for entry in self.entries if entry.subject == subject]


# --- the contacts collection, shared by the three contact ports ------------------------------


def phone_key(contact: Contact) -> str:
    """The uniqueness key of the adapters: the phone, or a per-contact placeholder once it is
    gone (deleted or anonymized), so any number of phoneless contacts coexist."""
    return contact.phone or f"none:{contact.id}"


def _stored_copy(contact: Contact, groups: Sequence[str]) -> Contact:
    """The state as a document holds it: no pending events; `groups` is the projection's."""
    stored = copy.deepcopy(contact)
    stored.events = []
    stored.groups = list(groups)
    return stored


@dataclass
class ContactRecord:
    """One contact document: the aggregate's state, and what others write beside it."""

    contact: Contact
    group_seq: dict[str, int] = field(default_factory=dict)
    # By import id, oldest first, at most `MARKS_KEPT` (as the adapter keeps them).
    marks: dict[str, ImportMark] = field(default_factory=dict)

    def add_mark(self, mark: ImportMark) -> None:
        self.marks[mark["import_id"]] = dict(mark)
        while len(self.marks) > MARKS_KEPT:
            oldest = next(k for k in self.marks if k != mark["import_id"])
            del self.marks[oldest]

    def live_in(self, org_id: str) -> bool:
        return self.contact.org_id == org_id and not self.contact.deleted


Interleaved = Callable[[], Awaitable[object]]


class FakeContactStore:
    """The `contacts` collection as the repository, the import writes and the membership
    projection share it (the Mongo adapters share `ContactCollection` the same way).

    `before_next_write` lets a test play a concurrent writer: the action runs right before the
    next write of that contact, after the handler read it, so the handler's write meets a newer
    version, as it would when another request wins the race."""

    def __init__(self, outbox: FakeOutbox) -> None:
        self.records: dict[str, ContactRecord] = {}
        self.outbox = outbox
        self._interleaved: defaultdict[str, deque[Interleaved]] = defaultdict(deque)
        self._interleaving: set[str] = set()

    def before_next_write(self, contact_id: str, action: Interleaved) -> None:
        self._interleaved[contact_id].append(action)

    async def run_interleaved(self, contact_id: str) -> None:
        """One queued action per write; the concurrent writer's own writes run none."""
        queued = self._interleaved.get(contact_id)
        if not queued or contact_id in self._interleaving:
            return
        self._interleaving.add(contact_id)
        try:
            await queued.popleft()()
        finally:
            self._interleaving.discard(contact_id)

    def holder(self, org_id: str, key: str) -> str | None:
        """Who holds a phone key in the organisation (a tombstone included, as in the index)."""
        for contact_id, record in self.records.items():
            if record.contact.org_id == org_id and phone_key(record.contact) == key:
                return contact_id
        return None

    def refusal(self, contact: Contact) -> DuplicatePhone | None:
        """The adapters' refusal of a phone another contact holds, naming the holder."""
        holder = self.holder(contact.org_id, phone_key(contact))
        if holder is None or holder == contact.id:
            return None
        return DuplicatePhone(
            "a contact with this phone already exists", existing_id=holder, phone=contact.phone
        )

    def insert(self, contact: Contact, mark: ImportMark | None = None) -> None:
        if contact.id in self.records:
            raise AssertionError(f"contact id {contact.id} minted twice")
        # In the groups it is created in (an import's), as the adapter's `new_document`.
        self.records[contact.id] = record = ContactRecord(_stored_copy(contact, contact.groups))
        if mark is not None:
            record.add_mark(mark)

    def write(self, contact: Contact, mark: ImportMark | None = None) -> None:
        """A new state of a stored contact; its groups and sequences stay the projection's."""
        record = self.records[contact.id]
        record.contact = _stored_copy(contact, record.contact.groups)
        if mark is not None:
            record.add_mark(mark)

    def read(self, org_id: str, contact_id: str) -> Contact | None:
        record = self.records.get(contact_id)
        if record is None or not record.live_in(org_id):
            return None
        return copy.deepcopy(record.contact)

    def live(self, org_id: str) -> list[Contact]:
        return [copy.deepcopy(r.contact) for r in self.records.values() if r.live_in(org_id)]


class FakeContactRepository:
    def __init__(self, store: FakeContactStore) -> None:
        self._store = store

    async def get(self, org_id: str, contact_id: str) -> Contact | None:
        return self._store.read(org_id, contact_id)

    async def find_by_phone(self, org_id: str, phone: str) -> Contact | None:
        holder = self._store.holder(org_id, phone)
        return self._store.read(org_id, holder) if holder is not None else None

    async def get_many(self, org_id: str, ids: Sequence[str]) -> dict[str, Contact]:
        found = {i: self._store.read(org_id, i) for i in dict.fromkeys(ids)}
        return {i: contact for i, contact in found.items() if contact is not None}

    async def add(self, contact: Contact) -> None:
        refusal = self._store.refusal(contact)
        if refusal is not None:
            raise refusal
        self._insert_published(contact)

    async def add_many(self, contacts: Sequence[Contact]) -> dict[int, DuplicatePhone]:
        refused: dict[int, DuplicatePhone] = {}
        for position, contact in enumerate(contacts):
            refusal = self._store.refusal(contact)
            if refusal is not None:
                refused[position] = refusal
            else:
                self._insert_published(contact)
        return refused

    def _insert_published(self, contact: Contact) -> None:
        self._store.insert(contact)
        self._store.outbox.record_versioned(
            contact.events, subject=contact.id, org_id=contact.org_id, version=contact.version
        )
        contact.events.clear()

    async def save(self, contact: Contact, expected_version: int) -> None:
        if not contact.events:
            return  # nothing changed: no write, hence no version check (as the adapter)
        await self._store.run_interleaved(contact.id)
        record = self._store.records.get(contact.id)
        if (
            record is None
            or record.contact.org_id != contact.org_id
            or record.contact.version != expected_version
        ):
            raise VersionConflict(
                "the contact was changed by someone else", expected_version=expected_version
            )
        refusal = self._store.refusal(contact)
        if refusal is not None:
            raise refusal
        self._store.write(contact)
        self._store.outbox.record_versioned(
            contact.events, subject=contact.id, org_id=contact.org_id, version=contact.version
        )
        contact.events.clear()

    async def list(
        self,
        org_id: str,
        flt: ContactFilter,
        *,
        sort: str,
        after: tuple[Any, str] | None,
        limit: int,
    ) -> builtins.list[Contact]:
        attribute, direction = SORTS[sort]

        def position(contact: Contact) -> tuple[Any, str]:
            return (_sort_value(contact, attribute), contact.id)

        selected = sorted(self._matching(org_id, flt), key=position, reverse=direction < 0)
        if after is not None:
            selected = [
                c
                for c in selected
                if (position(c) > after if direction > 0 else position(c) < after)
            ]
        return selected[:limit]

    async def count(self, org_id: str, flt: ContactFilter) -> int:
        return len(self._matching(org_id, flt))

    async def with_field_value(
        self, org_id: str, key: str, *, other_than_type: str | None, limit: int
    ) -> Sequence[Contact]:
        holding = [
            c
            for c in self._store.live(org_id)
            if key in c.fields
            and (other_than_type is None or c.fields[key].type.value != other_than_type)
        ]
        return holding[:limit]

    def _matching(self, org_id: str, flt: ContactFilter) -> builtins.list[Contact]:
        return [c for c in self._store.live(org_id) if _selected(c, flt)]


def _sort_value(contact: Contact, attribute: str) -> Any:
    if attribute == "name_sort":
        return (contact.name or "").casefold()
    return getattr(contact, attribute)


def _selected(contact: Contact, flt: ContactFilter) -> bool:
    """`filter_document` of the repository adapter, in memory."""
    if flt.status and contact.status.value != flt.status:
        return False
    if flt.category and contact.category != flt.category:
        return False
    if flt.group and flt.group not in contact.groups:
        return False
    if flt.q:
        needle = flt.q.strip().casefold()
        searched = (contact.name, contact.phone, contact.email)
        if not any(needle in (text or "").casefold() for text in searched):
            return False
    if flt.query is not None and not matches(flt.query, contact):
        return False
    return flt.within_groups is None or any(g in flt.within_groups for g in contact.groups)


class FakeContactImports:
    """An import's writes: new contacts stored without their events (they travel with the
    batch's reply), and changes guarded by the version read, each marked with its row."""

    def __init__(self, store: FakeContactStore) -> None:
        self._store = store

    async def add_many(self, contacts: Sequence[Contact], marks: Sequence[ImportMark]) -> set[int]:
        refused: set[int] = set()
        for position, (contact, mark) in enumerate(zip(contacts, marks, strict=True)):
            if self._store.refusal(contact) is not None:
                refused.add(position)
            else:
                self._store.insert(contact, dict(mark))
        return refused

    async def enter_groups(self, contacts: Sequence[Contact]) -> None:
        """Members are read from `contact.groups` here, stored with the contact."""

    async def find_for_import(
        self, org_id: str, phones: Sequence[str]
    ) -> dict[str, tuple[Contact, ImportMarks]]:
        found: dict[str, tuple[Contact, ImportMarks]] = {}
        for phone in phones:
            holder = self._store.holder(org_id, phone)
            record = self._store.records.get(holder) if holder else None
            if record is not None and record.live_in(org_id):
                found[phone] = (copy.deepcopy(record.contact), copy.deepcopy(record.marks))
        return found

    async def save_imported(self, changes: Sequence[ImportedChange]) -> set[str]:
        conflicts: set[str] = set()
        for change in changes:
            contact, read_version, mark = change.contact, change.read_version, change.mark
            await self._store.run_interleaved(contact.id)
            record = self._store.records.get(contact.id)
            if (
                record is None
                or not record.live_in(contact.org_id)
                or record.contact.version != read_version
            ):
                conflicts.add(contact.id)
            else:
                self._store.write(contact, dict(mark))
                self._store.outbox.record_versioned(
                    contact.events,
                    subject=contact.id,
                    org_id=contact.org_id,
                    version=contact.version,
                )
            contact.events.clear()  # the adapter clears them whether or not they were stored
        return conflicts

    async def mark(self, org_id: str, marks: Sequence[tuple[str, ImportMark, ImportMarks]]) -> None:
        for contact_id, mark, _ in marks:
            record = self._store.records.get(contact_id)
            if record is not None and record.live_in(org_id):
                record.add_mark(mark)


class FakeContactMemberships:
    """`contact.groups`, guarded per contact and group by the last sequence applied."""

    def __init__(self, store: FakeContactStore) -> None:
        self._store = store

    async def apply(
        self,
        org_id: str,
        group_id: str,
        sequence: int,
        added: Sequence[str],
        removed: Sequence[str],
    ) -> None:
        for ids, joins in ((added, True), (removed, False)):
            for contact_id in ids:
                record = self._store.records.get(contact_id)
                if record is None or record.contact.org_id != org_id:
                    continue
                if record.group_seq.get(group_id, 0) >= sequence:
                    continue
                record.group_seq[group_id] = sequence
                groups = record.contact.groups
                if joins and group_id not in groups:
                    groups.append(group_id)
                elif not joins and group_id in groups:
                    groups.remove(group_id)

    async def remove_group(self, org_id: str, group_id: str) -> None:
        for record in self._store.records.values():
            if record.contact.org_id == org_id and group_id in record.contact.groups:
                record.contact.groups.remove(group_id)

    async def memberships(
        self, org_id: str, after: str | None, limit: int
    ) -> list[tuple[str, list[str]]]:
        members = sorted(
            (contact_id, list(record.contact.groups))
            for contact_id, record in self._store.records.items()
            if record.contact.org_id == org_id
            and record.contact.groups
            and (after is None or contact_id > after)
        )
        return members[:limit]


# --- organisations, fields, groups ----------------------------------------------------------


class FakeOrganizationRepository:
    def __init__(self, outbox: FakeOutbox) -> None:
        self.stored: dict[str, Organization] = {}
        self._outbox = outbox

    async def get(self, org_id: str) -> Organization:
        return copy.deepcopy(self.stored.get(org_id) or Organization(id=org_id))

    async def get_or_create(self, org_id: str) -> Organization:
        org = self.stored.setdefault(org_id, Organization(id=org_id))
        return copy.deepcopy(org)

    async def save(self, org: Organization, expected_version: int) -> None:
        if not org.events:
            return
        stored = self.stored.get(org.id)
        if stored is None or stored.version != expected_version:
            raise VersionConflict("the organisation settings were changed by someone else")
        self.stored[org.id] = _without_events(org)
        self._outbox.record_versioned(
            org.events, subject=org.id, org_id=org.id, version=org.version
        )
        org.events.clear()


def _without_events(org: Organization) -> Organization:
    stored = copy.deepcopy(org)
    stored.events = []
    return stored


def _label_key(definition: FieldDefinition) -> str:
    """Labels are unique per organisation ignoring case; a deleted field frees its label."""
    if definition.deleted:
        return f"deleted:{definition.key}:{definition.version}"
    return definition.label.casefold()


class FakeFieldRepository:
    """Definitions by organisation and key; a deleted one stays as a tombstone, so a new field
    under its key continues its version."""

    def __init__(self, outbox: FakeOutbox) -> None:
        self.stored: dict[tuple[str, str], FieldDefinition] = {}
        self._outbox = outbox

    async def add(
        self, definition: FieldDefinition, replacing: FieldDefinition | None = None
    ) -> None:
        ident = (definition.org_id, definition.key)
        current = self.stored.get(ident)
        if replacing is None and current is not None:
            raise DuplicateField("a field with this key or label exists", key=definition.key)
        if replacing is not None and (
            current is None or not current.deleted or current.version != replacing.version
        ):
            raise DuplicateField("a field with this key exists", key=definition.key)
        if self._label_taken(definition):
            raise DuplicateField(
                "a field with this key or label exists", key=definition.key, label=definition.label
            )
        self._store(definition)
        self.stored[ident].last_conversion = None

    async def save(self, definition: FieldDefinition, expected_version: int) -> None:
        if not definition.events:
            return
        current = self.stored.get((definition.org_id, definition.key))
        if current is None or current.version != expected_version:
            raise VersionConflict("the field was changed by someone else")
        if self._label_taken(definition):
            raise DuplicateField("another field has this label", label=definition.label)
        self._store(definition)

    async def get(self, org_id: str, key: str, *, deleted: bool = False) -> FieldDefinition | None:
        found = self.stored.get((org_id, key))
        if found is None or (found.deleted and not deleted):
            return None
        return copy.deepcopy(found)

    async def pending(self) -> list[tuple[str, str]]:
        return [ident for ident, d in self.stored.items() if d.values_pending]

    async def values_followed(
        self, definition: FieldDefinition, report: dict[str, Any] | None
    ) -> bool:
        current = self.stored.get((definition.org_id, definition.key))
        if current is None or current.version != definition.version:
            return False
        current.values_pending = False
        if report is not None:
            current.last_conversion = report
        return True

    async def all(self, org_id: str) -> list[FieldDefinition]:
        live = [
            copy.deepcopy(d) for d in self.stored.values() if d.org_id == org_id and not d.deleted
        ]
        return sorted(live, key=lambda d: (not d.featured, d.order, d.label.casefold()))

    async def types(self, org_id: str) -> dict[str, FieldType]:
        return {d.key: d.type for d in await self.all(org_id)}

    async def count(self, org_id: str) -> int:
        return len(await self.all(org_id))

    def _label_taken(self, definition: FieldDefinition) -> bool:
        label = _label_key(definition)
        return any(
            other.org_id == definition.org_id
            and other.key != definition.key
            and _label_key(other) == label
            for other in self.stored.values()
        )

    def _store(self, definition: FieldDefinition) -> None:
        stored = copy.deepcopy(definition)
        stored.events = []
        previous = self.stored.get((definition.org_id, definition.key))
        if previous is not None:
            stored.last_conversion = previous.last_conversion
        self.stored[(definition.org_id, definition.key)] = stored
        self._outbox.record(
            definition.events,
            subject=f"{definition.org_id}:{definition.key}",
            org_id=definition.org_id,
            sequence=definition.version,
        )
        definition.events.clear()


@dataclass
class DirectoryRecord:
    org_id: str
    sequence: int
    deleted: bool
    state: dict[str, Any]


class FakeGroupDirectory:
    """Groups as their events describe them; an event not newer than the last applied one of its
    group changes nothing (repeats and stale redeliveries)."""

    def __init__(self) -> None:
        self.stored: dict[str, DirectoryRecord] = {}

    async def apply(
        self, org_id: str, group_id: str, sequence: int, state: dict[str, Any] | None
    ) -> None:
        current = self.stored.get(group_id)
        if current is not None and current.sequence >= sequence:
            return
        kept = dict(current.state) if current is not None else {}
        if state is not None:
            kept = {k: state[k] for k in ("name", "type", "query", "staff")}
        self.stored[group_id] = DirectoryRecord(org_id, sequence, state is None, kept)

    async def is_deleted(self, group_id: str) -> bool:
        record = self.stored.get(group_id)
        return record is not None and record.deleted

    async def entries(self, org_id: str) -> list[GroupEntry]:
        return [
            GroupEntry(
                id=group_id,
                org_id=record.org_id,
                name=record.state.get("name") or "",
                type=record.state.get("type") or "manual",
                query=record.state.get("query"),
                staff=tuple(record.state.get("staff") or ()),
            )
            for group_id, record in self.stored.items()
            if record.org_id == org_id and not record.deleted
        ]

    async def names(self, org_id: str) -> dict[str, str]:
        entries = await self.entries(org_id)
        return {e.name.casefold(): e.id for e in entries} | {e.id: e.id for e in entries}

    async def assigned_to(self, org_id: str, staff: str) -> list[str]:
        return [e.id for e in await self.entries(org_id) if staff in e.staff]


# --- replies and background jobs ------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """One reply the handler sent, with the announcements of the contacts it created."""

    reply: ContactRowsImported
    org_id: str
    announced: list[EventPayload]


class FakeImportReplies:
    """Replies through the outbox: the created contacts' pending events (or, for a contact
    stored earlier, its `ContactCreated` again) go first. A reply still waiting for the relay
    is stored once however often its batch is redelivered (`purge` plays the relay)."""

    def __init__(self, outbox: FakeOutbox) -> None:
        self.answers: list[Answer] = []
        self._outbox = outbox
        self._waiting: set[str] = set()

    async def answer(
        self, reply: ContactRowsImported, org_id: str, created: Sequence[Contact]
    ) -> None:
        announced: list[EventPayload] = []
        for contact in created:
            announced += contact.events or [contact.created_event()]
        self.answers.append(Answer(reply, org_id, announced))
        subject = f"{reply.import_id}:{reply.batch}"
        if subject in self._waiting:
            return
        self._waiting.add(subject)
        for contact in created:
            events = contact.events or [contact.created_event()]
            version = contact.version if contact.events else 1
            self._outbox.record_versioned(
                events, subject=contact.id, org_id=org_id, version=version
            )
        self._outbox.record([reply], subject=subject, org_id=org_id, sequence=reply.batch)

    def purge(self) -> None:
        """The relay published the stored replies and deleted them."""
        self._waiting.clear()

    @property
    def last(self) -> Answer:
        assert self.answers, "no reply was sent"
        return self.answers[-1]


class FakeFieldValuesJobs:
    """Remembers which fields' values were left to follow their definition in the background."""

    def __init__(self) -> None:
        self.scheduled: list[tuple[str, str]] = []

    def schedule(self, org_id: str, key: str) -> None:
        self.scheduled.append((org_id, key))


# --- the harness ---------------------------------------------------------------------------


@dataclass
class ContactsHarness:
    """The contacts service as the unit tests see it: its bus, wired by `build_bus` over the
    fakes, and the fakes themselves to arrange state and inspect what was written."""

    bus: MessageBus
    uow: ContactsUnitOfWork
    clock: FakeClock
    outbox: FakeOutbox
    store: FakeContactStore
    contacts: FakeContactRepository
    memberships: FakeContactMemberships
    organizations: FakeOrganizationRepository
    fields: FakeFieldRepository
    groups: FakeGroupDirectory
    replies: FakeImportReplies
    field_values: FakeFieldValuesJobs

    async def create(self, phone: str, *, org_id: str = ORG, **attributes: Any) -> Contact:
        """A contact created through the bus, as the API creates one."""
        command = CreateContact(
            by=principal(org_id), contact=contact_input(phone=phone, **attributes)
        )
        contact: Contact = await self.bus.handle(command)
        return contact

    async def set_status(self, contact_id: str, status: str) -> None:
        command = ChangeContactStatus(by=principal(), contact_id=contact_id, status=status)
        await self.bus.handle(command)

    async def set_organization(self, **settings: Any) -> None:
        await self.bus.handle(UpdateOrganization(by=principal(), changes=settings))

    def renamed_meanwhile(self, contact_id: str, name: str) -> None:
        """Another request renames the contact after the next handler read it and before that
        handler writes it, so the handler's write meets a newer version."""
        rename = UpdateContact(
            by=principal(), contact_id=contact_id, changes=contact_input(name=name)
        )
        self.store.before_next_write(contact_id, lambda: self.bus.handle(rename))

    async def stored(self, contact_id: str, org_id: str = ORG) -> Contact:
        contact = await self.contacts.get(org_id, contact_id)
        assert contact is not None, f"{contact_id} is not a live contact of {org_id}"
        return contact

    async def count_all(self, org_id: str = ORG) -> int:
        """Live contacts of the organisation, whatever their status."""
        return await self.contacts.count(org_id, ContactFilter(status=None))

    def published(self, subject: str) -> list[EventPayload]:
        return self.outbox.events(subject)

    async def define_field(
        self, key: str, type: str = "text", label: str | None = None
    ) -> FieldDefinition:
        command = DefineField(by=principal(ORG), label=label or key.title(), key=key, type=type)
        definition: FieldDefinition = await self.bus.handle(command)
        return definition

    async def receive(self, payload: EventPayload, sequence: int | None, org_id: str = ORG) -> None:
        """A message as the Kafka consumer hands it over."""
        await self.bus.handle(received(payload, org_id, sequence=sequence))

    async def group_with_members(
        self, group_id: str, *contact_ids: str, staff: Sequence[str] = ()
    ) -> None:
        """A manual group as the groups service announces it: created (sequence 1), then
        filled (sequence 2)."""
        await self.receive(group_created(group_id, group_id.title(), staff=staff), 1)
        await self.receive(membership_changed(group_id, added=contact_ids), 2)

    async def follow_field_values(self) -> list[ConversionReport | None]:
        """What the background worker does: one `ReconcileFieldValues` per scheduled field."""
        jobs, self.field_values.scheduled = self.field_values.scheduled, []
        return [await self.bus.handle(ReconcileFieldValues(org, key)) for org, key in jobs]


def build_contacts_harness(*, max_fields: int = 250, now: datetime = T0) -> ContactsHarness:
    clock = FakeClock(now)
    outbox = FakeOutbox()
    store = FakeContactStore(outbox)
    contacts = FakeContactRepository(store)
    memberships = FakeContactMemberships(store)
    organizations = FakeOrganizationRepository(outbox)
    fields = FakeFieldRepository(outbox)
    groups = FakeGroupDirectory()
    uow = ContactsUnitOfWork(
        contacts=contacts,
        imports=FakeContactImports(store),
        memberships=memberships,
        organizations=organizations,
        fields=fields,
        groups=groups,
        max_fields=max_fields,
        clock=clock,
        new_id=SequentialIds(),
    )
    replies = FakeImportReplies(outbox)
    field_values = FakeFieldValuesJobs()
    return ContactsHarness(
        bus=build_bus(uow, replies, field_values),
        uow=uow,
        clock=clock,
        outbox=outbox,
        store=store,
        contacts=contacts,
        memberships=memberships,
        organizations=organizations,
        fields=fields,
        groups=groups,
        replies=replies,
        field_values=field_values,
    )


# --- message builders ----------------------------------------------------------------------


def principal(org_id: str = ORG, role: Role = Role.ADMIN, user: str = "tester") -> Principal:
    return Principal(org_id=org_id, role=role, subject=user)


def contact_input(**given: Any) -> ContactInput:
    """Input as a client sends it: every attribute given is present (None too: it clears)."""
    return ContactInput(**given, present=frozenset(given) - {"opt_in", "opt_in_method"})


def phone(n: int) -> str:
    """A valid E.164 mobile number (Kenya), one per `n` below 100."""
    return f"+2547123456{n:02d}"


def column(attribute: str) -> str:
    """The file column `imported_row` says an attribute came from."""
    return f"Column {attribute}"


def imported_row(row: int, phone: str | None, **cells: Any) -> ImportedRow:
    """A row as the importer reads it; `cells` are attributes (`name=...`), `fields`, `status`,
    `opt_in`; each came from the column `column(attribute)` names."""
    special = {k: cells.pop(k) for k in ("fields", "status", "opt_in") if k in cells}
    columns = {name: column(name) for name in [*cells, "phone", "status", "opt_in"]}
    columns |= {f"fields.{key}": column(key) for key in special.get("fields", {})}
    return ImportedRow(row=row, phone=phone, attributes=cells, columns=columns, **special)


def import_rows(
    rows: Sequence[ImportedRow],
    *,
    import_id: str = "import-1",
    batch: int = 1,
    mode: str = "upsert",
    **options: Any,
) -> ImportContactRows:
    return ImportContactRows.model_validate(
        {
            "import_id": import_id,
            "batch": batch,
            "mode": mode,
            "opt_in": options.pop("opt_in", False),
            "rows": list(rows),
            **options,
        }
    )
