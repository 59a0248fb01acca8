"""What callers ask the contacts service to do, in the imperative. Raw input; handlers validate."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shared.auth import Principal


@dataclass(frozen=True)
class ContactInput:
    """Attributes as received (unvalidated); `None` in `present` means "not given"."""

    phone: str | None = None
    name: str | None = None
    secondary_phone: str | None = None
    email: str | None = None
    category: str | None = None
    language: str | None = None
    fields: dict[str, Any] | None = None
    opt_in: bool = False
    opt_in_method: str | None = None
    present: frozenset[str] = frozenset()


@dataclass(frozen=True)
class CreateContact:
    by: Principal
    contact: ContactInput


@dataclass(frozen=True)
class CreateContacts:
    by: Principal
    contacts: list[ContactInput]


@dataclass(frozen=True)
class UpdateContact:
    by: Principal
    contact_id: str
    changes: ContactInput
    expected_version: int | None = None


@dataclass(frozen=True)
class ChangeContactStatus:
    by: Principal
    contact_id: str
    status: str
    reason: str | None = None


@dataclass(frozen=True)
class ApplyContactAction:
    by: Principal
    action: str
    contact_ids: list[str] = field(default_factory=list)
    reason: str | None = None


@dataclass(frozen=True)
class DeleteContact:
    by: Principal
    contact_id: str


@dataclass(frozen=True)
class AnonymizeContact:
    by: Principal
    contact_id: str


@dataclass(frozen=True)
class UpdateOrganization:
    by: Principal
    changes: dict[str, Any]


@dataclass(frozen=True)
class DefineField:
    by: Principal
    label: str
    key: str | None = None
    type: str = "text"
    featured: bool = False
    order: int = 0


@dataclass(frozen=True)
class ChangeField:
    """Only the attributes present in `changes` (label, type, featured, order) change."""

    by: Principal
    key: str
    changes: dict[str, Any]


@dataclass(frozen=True)
class DeleteField:
    by: Principal
    key: str


@dataclass(frozen=True)
class ReconcileFieldValues:
    """Bring every contact's value for a field in line with its definition (after a type change
    or a deletion); idempotent, so it can be repeated after a crash."""

    org_id: str
    key: str
