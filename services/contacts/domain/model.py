"""The Contact aggregate: one person reachable on one primary phone within one organisation."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from services.contacts.domain.errors import (
    ContactAnonymizedError,
    InvalidTransition,
    NotArchived,
    VersionConflict,
)
from shared.contactql.values import FieldValue
from shared.contracts.contacts import (
    ContactAnonymized,
    ContactCreated,
    ContactDeleted,
    ContactStatusChanged,
    ContactUpdated,
    OptInRecord,
)
from shared.contracts.envelope import EventPayload

# Attributes a PATCH may change, in the order they are reported.
EDITABLE = ("name", "phone", "secondary_phone", "email", "category", "language", "fields")


class ContactStatus(StrEnum):
    ACTIVE = "active"
    ARCHIVED = "archived"
    BLOCKED = "blocked"
    STOPPED = "stopped"

    @property
    def messageable(self) -> bool:
        """Only active contacts receive broadcasts; blocked and stopped are never messaged."""
        return self is ContactStatus.ACTIVE


@dataclass(frozen=True)
class OptIn:
    status: str = "unknown"
    opted_in_at: datetime | None = None
    opt_in_method: str | None = None
    opted_out_at: datetime | None = None
    opt_out_method: str | None = None

    def opted_in(self, at: datetime, method: str) -> OptIn:
        return replace(self, status="opted_in", opted_in_at=at, opt_in_method=method)

    def opted_out(self, at: datetime, method: str) -> OptIn:
        return replace(self, status="opted_out", opted_out_at=at, opt_out_method=method)

    def record(self) -> OptInRecord:
        return OptInRecord(**self.__dict__)


@dataclass(frozen=True)
class StatusChange:
    from_status: ContactStatus
    to_status: ContactStatus
    reason: str | None
    actor: str
    at: datetime


@dataclass
class Contact:
    id: str
    org_id: str
    phone: str | None
    name: str | None = None
    secondary_phone: str | None = None
    email: str | None = None
    category: str | None = None
    language: str | None = None
    fields: dict[str, FieldValue] = field(default_factory=dict)
    status: ContactStatus = ContactStatus.ACTIVE
    opt_in: OptIn = field(default_factory=OptIn)
    groups: list[str] = field(default_factory=list)
    status_history: list[StatusChange] = field(default_factory=list)
    anonymized: bool = False
    deleted: bool = False
    created_at: datetime | None = None
    updated_at: datetime | None = None
    last_seen_at: datetime | None = None
    version: int = 0
    events: list[EventPayload] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def create(
        cls,
        *,
        id: str,
        org_id: str,
        phone: str,
        now: datetime,
        attributes: dict[str, Any],
        opt_in_method: str | None = None,
        groups: Sequence[str] = (),
    ) -> Contact:
        """`attributes` are already validated; an opt-in method records consent at creation.
        `groups`: the manual groups an import enters the new contact in (see `ContactCreated`)."""
        contact = cls(id=id, org_id=org_id, phone=phone, created_at=now, updated_at=now, version=1)
        for key, value in attributes.items():
            setattr(contact, key, value)
        contact.groups = list(groups)
        if opt_in_method:
            contact.opt_in = contact.opt_in.opted_in(now, opt_in_method)
        contact.events.append(contact.created_event())
        return contact

    def created_event(self) -> ContactCreated:
        """The contact as it came into being (an import re-announces a contact it created, if a
        crash cut it off before the announcement was stored)."""
        created_at = self.created_at or self.updated_at
        assert created_at is not None, "a stored contact has its creation time"
        return ContactCreated(
            contact_id=self.id,
            name=self.name,
            phone=self.phone,
            secondary_phone=self.secondary_phone,
            email=self.email,
            category=self.category,
            language=self.language,
            fields={key: value.record() for key, value in self.fields.items()},
            status=self.status.value,
            opt_in=self.opt_in.record(),
            created_at=created_at,
            groups=list(self.groups),
        )

    def leave_group_created_in(self, group_id: str) -> None:
        """A group the new contact was created in was deleted meanwhile: it is none of its
        groups, and its `ContactCreated` (not published yet) does not name it."""
        if group_id not in self.groups:
            return
        self.groups.remove(group_id)
        self.events = [
            self.created_event() if isinstance(e, ContactCreated) else e for e in self.events
        ]

    def check_version(self, expected: int | None) -> None:
        if expected is not None and expected != self.version:
            raise VersionConflict(
                "the contact was changed by someone else",
                expected_version=expected,
                current_version=self.version,
            )

    def update(self, changes: dict[str, Any], now: datetime, *, actor: str) -> list[str]:
        """Applies validated attribute changes; returns the names that really changed. The
        event names the actor (a user, `flow:<id>`, the importer), as a status change does."""
        self._refuse_if_anonymized()
        changed: dict[str, Any] = {}
        for key in EDITABLE:
            if key == "fields" or key not in changes or getattr(self, key) == changes[key]:
                continue
            changed[key] = changes[key]
        changed_values = self._changed_field_values(changes.get("fields") or {})
        if not changed and not changed_values:
            return []
        for key, value in changed.items():
            setattr(self, key, value)
        published: dict[str, Any] = dict(changed)
        if changed_values:
            fields = dict(self.fields)
            for key, field_value in changed_values.items():
                if field_value is None:
                    fields.pop(key, None)
                else:
                    fields[key] = field_value
            self.fields = fields
            published["fields"] = {
                k: v.record() if v is not None else None for k, v in changed_values.items()
            }
        self._touch(now)
        self.events.append(
            ContactUpdated(contact_id=self.id, updated_at=now, actor=actor, **published)
        )
        return list(published)

    def _changed_field_values(
        self, values: dict[str, FieldValue | None]
    ) -> dict[str, FieldValue | None]:
        """Field values are merged: keys not given stay, a None value clears its key."""
        return {k: v for k, v in values.items() if self.fields.get(k) != v}

    def opt_in_by(self, method: str, now: datetime) -> bool:
        """Records consent given outside a status change (an import declaring it); a blocked
        or stopped contact is never opted back in this way. False when nothing changed."""
        self._refuse_if_anonymized()
        if self.status in (ContactStatus.BLOCKED, ContactStatus.STOPPED):
            return False
        if self.opt_in.status == "opted_in":
            return False
        self.opt_in = self.opt_in.opted_in(now, method)
        self._touch(now)
        self.events.append(
            ContactUpdated(contact_id=self.id, opt_in=self.opt_in.record(), updated_at=now)
        )
        return True

    def change_status(
        self,
        to: ContactStatus,
        *,
        reason: str | None,
        actor: str,
        now: datetime,
        method: str = "manual",
    ) -> bool:
        """Moves to another status; stopping records the opt-out, leaving `stopped` opts back in.

        Returns False when the contact already had that status (nothing is recorded).
        """
        self._refuse_if_anonymized()
        if to == self.status:
            return False
        previous = self.status
        if to is ContactStatus.STOPPED:
            self.opt_in = self.opt_in.opted_out(now, method)
        elif previous is ContactStatus.STOPPED and to is ContactStatus.ACTIVE:
            self.opt_in = self.opt_in.opted_in(now, method)
        self.status = to
        self.status_history.append(StatusChange(previous, to, reason, actor, now))
        self._touch(now)
        self.events.append(
            ContactStatusChanged(
                contact_id=self.id,
                from_status=previous.value,
                to_status=to.value,
                reason=reason,
                actor=actor,
                opt_in=self.opt_in.record(),
                changed_at=now,
            )
        )
        return True

    def anonymize(self, *, actor: str, now: datetime) -> None:
        """Irreversibly removes personal data; the name becomes a random code."""
        if self.anonymized:
            raise ContactAnonymizedError("the contact is already anonymized")
        self.name = "anon-" + secrets.token_hex(5)
        self.phone = None
        self.secondary_phone = None
        self.email = None
        self.fields = {}
        self.status_history = [replace(change, reason=None) for change in self.status_history]
        self.anonymized = True
        self._touch(now)
        self.events.append(ContactAnonymized(contact_id=self.id, actor=actor, anonymized_at=now))

    def delete(self, *, actor: str, now: datetime) -> None:
        """Only archived contacts can be deleted, so nobody deletes an active contact by mistake."""
        if self.status is not ContactStatus.ARCHIVED:
            raise NotArchived("only archived contacts can be deleted", status=self.status.value)
        self.deleted = True
        self.name = self.phone = self.secondary_phone = self.email = None
        self.fields = {}
        self._touch(now)
        self.events.append(ContactDeleted(contact_id=self.id, actor=actor, deleted_at=now))

    def consent_by_message(
        self, consent: str, *, method: str, actor: str, reason: str | None, at: datetime,
        now: datetime,
    ) -> bool:  # fmt: skip
        """What the contact said (a STOP or JOIN keyword): opting out stops them (recording
        the opt-out); opting in makes a stopped contact active again, or records consent on
        one who never gave it. A blocked contact is not changed by what they say, nor is a
        contact whose status was changed after they said it (`at`). False: nothing changed."""
        if self.anonymized or self.status is ContactStatus.BLOCKED:
            return False
        if self.status_history and self.status_history[-1].at > at:
            return False
        if consent == "opted_out":
            return self.change_status(
                ContactStatus.STOPPED, reason=reason, actor=actor, now=now, method=method
            )
        if self.status is ContactStatus.STOPPED:
            return self.change_status(
                ContactStatus.ACTIVE, reason=reason, actor=actor, now=now, method=method
            )
        return self.opt_in_by(method, now)

    def seen(self, at: datetime, now: datetime) -> bool:
        """The contact wrote to the organisation at `at` (an inbound message): `last_seen_at`
        only moves forward, so a message delivered late or twice changes nothing. It opens
        WhatsApp's 24-hour window for free text. False when nothing changed."""
        if self.anonymized or (self.last_seen_at is not None and at <= self.last_seen_at):
            return False
        self.last_seen_at = at
        self._touch(now)
        self.events.append(ContactUpdated(contact_id=self.id, last_seen_at=at, updated_at=now))
        return True

    def _refuse_if_anonymized(self) -> None:
        if self.anonymized:
            raise ContactAnonymizedError("an anonymized contact cannot be changed")

    def _touch(self, now: datetime) -> None:
        self.version += 1
        self.updated_at = now


# Named actions on many contacts at once, as the peers' list views offer them.
ACTION_TARGETS: dict[str, ContactStatus] = {
    "block": ContactStatus.BLOCKED,
    "archive": ContactStatus.ARCHIVED,
    "stop": ContactStatus.STOPPED,
}
ACTION_SOURCES: dict[str, ContactStatus] = {
    "unblock": ContactStatus.BLOCKED,
    "restore": ContactStatus.ARCHIVED,
}


def status_for_action(action: str, current: ContactStatus) -> ContactStatus:
    """`unblock` and `restore` return a contact to active only from the status they undo."""
    if action in ACTION_TARGETS:
        return ACTION_TARGETS[action]
    source = ACTION_SOURCES[action]
    if current is not source:
        raise InvalidTransition(
            f"{action} applies to {source.value} contacts only", status=current.value
        )
    return ContactStatus.ACTIVE
