"""Domain rule violations, each with the machine-readable code clients see."""

from __future__ import annotations

from shared.errors import DomainError

__all__ = ["DomainError"]


class InvalidValue(DomainError):
    code = "invalid_value"


class DuplicatePhone(DomainError):
    code = "duplicate_phone"
    status = 409


class ContactNotFound(DomainError):
    code = "not_found"
    status = 404


class VersionConflict(DomainError):
    code = "version_conflict"
    status = 409


class NotArchived(DomainError):
    code = "not_archived"
    status = 409


class ContactAnonymizedError(DomainError):
    code = "contact_anonymized"
    status = 409


class InvalidTransition(DomainError):
    code = "invalid_status_transition"
    status = 409


class InvalidFieldValue(DomainError):
    code = "invalid_field_value"


class UnknownField(DomainError):
    code = "unknown_field"


class InvalidField(DomainError):
    code = "invalid_field"


class FieldNotFound(DomainError):
    code = "not_found"
    status = 404


class DuplicateField(DomainError):
    code = "duplicate_field"
    status = 409


class TooManyFields(DomainError):
    code = "too_many_fields"
    status = 409


class FieldInUse(DomainError):
    """Smart groups select by the field: its type cannot change, nor can it go, under them."""

    code = "field_in_use"
    status = 409
