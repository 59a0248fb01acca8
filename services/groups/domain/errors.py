"""Rule violations of the groups service, each with the machine-readable code clients see."""

from __future__ import annotations

from shared.errors import DomainError


class GroupNotFound(DomainError):
    code = "not_found"
    status = 404


class InvalidGroup(DomainError):
    code = "invalid_group"


class DuplicateGroupName(DomainError):
    code = "duplicate_group_name"
    status = 409


class TooManyGroups(DomainError):
    code = "too_many_groups"
    status = 409


class SmartGroupMembership(DomainError):
    """Members of a smart group follow its query; they are not added or removed by hand."""

    code = "smart_group_membership"
    status = 409


class InvalidSmartQuery(DomainError):
    code = "invalid_smart_query"


class VersionConflict(DomainError):
    code = "version_conflict"
    status = 409


class MembershipRefused(DomainError):
    """One contact of a membership request was refused; the others are applied."""

    code = "membership_refused"


class UnknownUser(DomainError):
    """A group's staff must be staff of the organisation (as the accounts service says)."""

    code = "unknown_user"
