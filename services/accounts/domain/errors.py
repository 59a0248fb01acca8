"""What the accounts service refuses, each with the machine-readable code clients see. Sign-in
and refresh failures say nothing about which part was wrong: whether an email exists, whether a
password or an organisation was the problem, is nobody's business but the account's owner."""

from __future__ import annotations

from shared.errors import DomainError


class InvalidCredentials(DomainError):
    code = "invalid_credentials"
    status = 401


class InvalidRefreshToken(DomainError):
    """Unknown, expired, revoked, or used before (which also revokes its whole session)."""

    code = "invalid_refresh_token"
    status = 401


class TooManyAttempts(DomainError):
    code = "too_many_attempts"
    status = 429


class InvalidEmail(DomainError):
    code = "invalid_email"


class InvalidOrganizationId(DomainError):
    code = "invalid_organization_id"


class WeakPassword(DomainError):
    code = "weak_password"


class EmailTaken(DomainError):
    code = "email_taken"
    status = 409


class OrganizationExists(DomainError):
    code = "organization_exists"
    status = 409


class UnknownUser(DomainError):
    code = "unknown_user"
    status = 404


class Forbidden(DomainError):
    code = "forbidden"
    status = 403


class LastAdmin(DomainError):
    """An organisation keeps at least one admin."""

    code = "last_admin"
    status = 409


class InvalidInvitation(DomainError):
    """Unknown, used, or expired."""

    code = "invalid_invitation"
    status = 404


class InvalidClient(DomainError):
    """OAuth 2.0's `invalid_client`: unknown, revoked, or the wrong secret."""

    code = "invalid_client"
    status = 401
