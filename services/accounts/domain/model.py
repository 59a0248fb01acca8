"""People who sign in, the organisations they belong to and their role in each.

A user is one email address (compared case-insensitively) with one password, and may belong to
several organisations, with a role in each; every token names one organisation, the one the
user signed in to."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from services.accounts.domain.errors import InvalidEmail, InvalidOrganizationId, WeakPassword
from shared.auth import ORG_ID_PATTERN, Role
from shared.contracts.accounts import UserJoinedOrganization, UserLeftOrganization, UserRoleChanged
from shared.contracts.envelope import EventPayload

UserStatus = Literal["active", "deactivated"]
# Enough of an address to deliver to; what a mail server accepts is its business.
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,253}\.[^@\s.]{2,63}$")
MIN_PASSWORD_CHARS = 12
MAX_PASSWORD_CHARS = 1024  # a hash of a megabyte of password is a denial of service


def normalize_email(email: str) -> str:
    """The form an address is stored and looked up in: trimmed, lower case."""
    normalized = email.strip().lower()
    if not EMAIL.match(normalized):
        raise InvalidEmail("not an email address", email=email[:320])
    return normalized


def check_password(password: str) -> None:
    if not MIN_PASSWORD_CHARS <= len(password) <= MAX_PASSWORD_CHARS:
        raise WeakPassword(
            f"a password has {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters",
            min_chars=MIN_PASSWORD_CHARS,
        )


def check_org_id(org_id: str) -> None:
    if not ORG_ID_PATTERN.match(org_id):
        raise InvalidOrganizationId(
            "an organisation id has letters, digits, '_', '.' and '-' (at most 64)",
            org_id=org_id[:64],
        )


@dataclass
class Organization:
    id: str
    name: str
    created_at: datetime


@dataclass
class User:
    """A person, with a role in each organisation they belong to. Joining, a role changing and
    leaving are events (`events`: organisation id and payload), published with the change."""

    id: str
    email: str
    name: str
    password_hash: str | None  # None until the user sets one (an invitation not taken yet)
    created_at: datetime
    status: UserStatus = "active"
    last_sign_in_at: datetime | None = None
    # Organisation id → role.
    roles: dict[str, Role] = field(default_factory=dict)
    version: int = 0
    events: list[tuple[str, EventPayload]] = field(default_factory=list, repr=False, compare=False)

    @property
    def active(self) -> bool:
        return self.status == "active"

    def role_in(self, org_id: str) -> Role | None:
        return self.roles.get(org_id) if self.active else None

    def join(self, org_id: str, role: Role) -> None:
        """Joins, or takes the role if a member already; nothing when it is the role held."""
        held = self.roles.get(org_id)
        if held == role:
            return
        self.roles[org_id] = role
        if held is None:
            self._event(org_id, UserJoinedOrganization(user_id=self.id, role=role.value,
                                                       name=self.name))  # fmt: skip
        else:
            self._event(org_id, UserRoleChanged(user_id=self.id, role=role.value))

    def leave(self, org_id: str) -> None:
        if self.roles.pop(org_id, None) is not None:
            self._event(org_id, UserLeftOrganization(user_id=self.id))

    def signed_in(self, now: datetime) -> None:
        self.last_sign_in_at = now

    def set_password(self, password_hash: str) -> None:
        self.password_hash = password_hash
        self.version += 1

    def deactivate(self) -> None:
        """Signs in nowhere any more: for the other services, out of every organisation (the
        roles are kept, should the account be brought back)."""
        if self.status == "deactivated":
            return
        self.status = "deactivated"
        for org_id in sorted(self.roles):
            self._event(org_id, UserLeftOrganization(user_id=self.id))

    def _event(self, org_id: str, payload: EventPayload) -> None:
        self.version += 1
        self.events.append((org_id, payload))
