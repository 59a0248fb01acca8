"""What the contacts service's handlers need from the outside world, as `Protocol`s.

The MongoDB adapters implement them in production; the in-memory fakes under `tests/fakes/`
implement them for the unit tests. Every write of an aggregate stores its pending events with
it (the outbox), so no port publishes events on its own: `ImportReplies` answers the importer,
through the same outbox.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from services.contacts.domain.errors import DuplicatePhone
from services.contacts.domain.fields import FieldDefinition
from services.contacts.domain.groups import GroupEntry
from services.contacts.domain.listing import ContactFilter
from services.contacts.domain.model import Contact
from services.contacts.domain.organization import Organization
from shared.contactql.values import FieldType
from shared.contracts.imports import ContactRowsImported

# Which import row saw a contact: `{"import_id", "row", "outcome", "note"?}`. It makes a
# redelivered batch report what it did the first time, and finds a phone repeated in a file.
ImportMark = dict[str, Any]
# A contact's marks by import id, oldest first. Each import keeps its own: a batch redelivered
# after another import wrote the contact still finds what its rows did.
ImportMarks = Mapping[str, ImportMark]
MARKS_KEPT = 8


@dataclass(frozen=True)
class ImportedChange:
    """A contact an import row changed: stored only if still at `read_version`."""

    contact: Contact
    read_version: int
    mark: ImportMark
    marks: ImportMarks


class ContactRepository(Protocol):
    """The Contact aggregate: read, created, changed (each change with its events)."""

    async def get(self, org_id: str, contact_id: str) -> Contact | None: ...

    async def get_many(self, org_id: str, ids: Sequence[str]) -> dict[str, Contact]: ...

    async def find_by_phone(self, org_id: str, phone: str) -> Contact | None:
        """The organisation's contact with this phone (E.164), deleted ones left out."""
        ...

    async def add(self, contact: Contact) -> None:
        """Raises `DuplicatePhone` (naming the holder) when the phone is taken."""

    async def add_many(self, contacts: Sequence[Contact]) -> dict[int, DuplicatePhone]:
        """Positions refused because their phone is taken (each naming the holder)."""

    async def save(self, contact: Contact, expected_version: int) -> None:
        """Raises `VersionConflict` if someone saved it since `expected_version` was read."""

    async def list(
        self,
        org_id: str,
        flt: ContactFilter,
        *,
        sort: str,
        after: tuple[Any, str] | None,
        limit: int,
    ) -> list[Contact]: ...

    async def count(self, org_id: str, flt: ContactFilter) -> int: ...

    async def with_field_value(
        self, org_id: str, key: str, *, other_than_type: str | None, limit: int
    ) -> Sequence[Contact]:
        """Contacts holding a value for `key` (stored as another type than `other_than_type`)."""


class ContactImports(Protocol):
    """An import's writes: many contacts per round trip, each marked with its row."""

    async def add_many(self, contacts: Sequence[Contact], marks: Sequence[ImportMark]) -> set[int]:
        """Inserts the new contacts without their events (they travel with the batch's reply);
        returns the positions refused because their phone is taken."""

    async def enter_groups(self, contacts: Sequence[Contact]) -> None:
        """Records the groups these new contacts were created in (`contact.groups`) where
        members are listed from; again for a redelivered batch (idempotent)."""

    async def find_for_import(
        self, org_id: str, phones: Sequence[str]
    ) -> dict[str, tuple[Contact, ImportMarks]]:
        """Phone → the contact holding it, and the marks of the imports that last wrote or saw
        it, by import id (the latest `MARKS_KEPT` imports, oldest first)."""

    async def save_imported(self, changes: Sequence[ImportedChange]) -> set[str]:
        """Stores each change with its row's mark beside the marks read (the oldest dropped
        beyond `MARKS_KEPT`); returns the ids changed by someone else since they were read
        (not stored)."""

    async def mark(self, org_id: str, marks: Sequence[tuple[str, ImportMark, ImportMarks]]) -> None:
        """Records the row that saw each contact without changing it, beside the marks read
        (the contact's version and events stay as they are)."""


class ContactMemberships(Protocol):
    """`contact.groups`: the projection of the groups service's membership events."""

    async def apply(
        self,
        org_id: str,
        group_id: str,
        sequence: int,
        added: Sequence[str],
        removed: Sequence[str],
    ) -> None:
        """Ignored per contact where an event of that group as new or newer was applied."""

    async def remove_group(self, org_id: str, group_id: str) -> None: ...

    async def memberships(
        self, org_id: str, after: str | None, limit: int
    ) -> list[tuple[str, list[str]]]:
        """Contacts in at least one group, with their groups, in id order."""


class OrganizationRepository(Protocol):
    async def get(self, org_id: str) -> Organization:
        """The settings, or the defaults of an organisation nothing was stored for yet (a read:
        the API's reads go through connections that must not write)."""

    async def get_or_create(self, org_id: str) -> Organization:
        """An organisation exists from its first command, with default settings."""

    async def save(self, org: Organization, expected_version: int) -> None: ...


class FieldRepository(Protocol):
    async def add(
        self, definition: FieldDefinition, replacing: FieldDefinition | None = None
    ) -> None:
        """Raises `DuplicateField` when the key or the label is taken."""

    async def save(self, definition: FieldDefinition, expected_version: int) -> None: ...

    async def get(
        self, org_id: str, key: str, *, deleted: bool = False
    ) -> FieldDefinition | None: ...

    async def pending(self) -> list[tuple[str, str]]:
        """(org, key) of every field whose contacts' values still have to follow it."""

    async def values_followed(
        self, definition: FieldDefinition, report: dict[str, Any] | None
    ) -> bool:
        """Records that values follow `definition` as read; False if it changed since."""

    async def all(self, org_id: str) -> list[FieldDefinition]: ...

    async def types(self, org_id: str) -> dict[str, FieldType]: ...

    async def count(self, org_id: str) -> int: ...


class GroupDirectory(Protocol):
    """The groups service's groups as this service knows them (from `roster.groups`)."""

    async def apply(
        self, org_id: str, group_id: str, sequence: int, state: dict[str, Any] | None
    ) -> None:
        """`state` None: deleted. Stale and repeated events change nothing."""

    async def is_deleted(self, group_id: str) -> bool: ...

    async def entries(self, org_id: str) -> Sequence[GroupEntry]: ...

    async def names(self, org_id: str) -> dict[str, str]:
        """Names (casefolded) and ids, both to the group id."""

    async def assigned_to(self, org_id: str, staff: str) -> list[str]: ...


class ImportReplies(Protocol):
    async def answer(
        self, reply: ContactRowsImported, org_id: str, created: Sequence[Contact]
    ) -> None:
        """Answers the importer; the `ContactCreated` of the batch's new contacts go first."""


class FieldValuesJobs(Protocol):
    def schedule(self, org_id: str, key: str) -> None:
        """Contacts' values of this field follow its definition, in the background."""
