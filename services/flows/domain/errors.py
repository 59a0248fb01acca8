"""The flows service's rule violations, each with its code and HTTP status."""

from __future__ import annotations

from shared.errors import DomainError


class ContactNotFound(DomainError):
    """Also what staff are told of a contact outside their groups: as if it did not exist."""

    code = "not_found"
    status = 404


class InvalidKeywords(DomainError):
    code = "invalid_keywords"


class VersionConflict(DomainError):
    code = "version_conflict"
    status = 409
