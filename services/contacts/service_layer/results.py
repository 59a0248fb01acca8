"""What the contacts service's commands answer, beside the aggregates themselves."""

from __future__ import annotations

from dataclasses import dataclass

from services.contacts.domain.errors import DomainError
from services.contacts.domain.model import Contact


@dataclass(frozen=True)
class EntryResult:
    """The outcome of one entry of a bulk request: a contact, or the error that refused it."""

    index: int
    contact: Contact | None = None
    error: DomainError | None = None
