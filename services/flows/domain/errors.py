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


class FlowNotFound(DomainError):
    code = "not_found"
    status = 404


class InvalidFlow(DomainError):
    """The definition cannot be run here: `details.problems` names each part (node, action,
    router, test, expression) and why."""

    code = "invalid_flow"


class InvalidStart(DomainError):
    code = "invalid_start"


class InvalidTrigger(DomainError):
    code = "invalid_trigger"


class TriggerNotFound(DomainError):
    code = "not_found"
    status = 404
