"""Events published by the contacts service on `roster.contacts` (keyed by contact id)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts.envelope import EventPayload
from shared.contracts.topics import CONTACTS

ContactStatusName = Literal["active", "archived", "blocked", "stopped"]


class OptInRecord(BaseModel):
    """Consent as last recorded: when and how the contact opted in, and out."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    status: Literal["unknown", "opted_in", "opted_out"] = "unknown"
    opted_in_at: datetime | None = None
    opt_in_method: str | None = None
    opted_out_at: datetime | None = None
    opt_out_method: str | None = None


FieldTypeName = Literal["text", "number", "datetime", "boolean", "state", "district", "ward"]


class FieldValueRecord(BaseModel):
    """A custom field value: the text as entered, and the value read by the field's type
    (numbers as JSON numbers, datetimes as ISO 8601 UTC, booleans as true/false)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str
    type: FieldTypeName
    value: bool | int | float | str


class _ContactEvent(EventPayload):
    topic: ClassVar[str] = CONTACTS.name
    contact_id: str


class ContactCreated(_ContactEvent):
    event_type: ClassVar[str] = "ContactCreated"

    name: str | None
    phone: str = Field(description="E.164 with a leading +")
    secondary_phone: str | None
    email: str | None
    category: str | None
    language: str | None = Field(description="ISO 639-3")
    fields: dict[str, FieldValueRecord]
    status: ContactStatusName
    opt_in: OptInRecord
    created_at: datetime
    groups: list[str] = Field(
        default_factory=list,
        description=(
            "Ids of the manual groups the contact was created in (a file import naming groups"
            " that exist); the groups service also announces these memberships, and every later"
            " change, as GroupMembershipChanged"
        ),
    )


class ContactUpdated(_ContactEvent):
    """Only the fields that changed are present; a field present with null was cleared."""

    event_type: ClassVar[str] = "ContactUpdated"

    name: str | None = None
    phone: str | None = None
    secondary_phone: str | None = None
    email: str | None = None
    category: str | None = None
    language: str | None = None
    fields: dict[str, FieldValueRecord | None] | None = Field(
        default=None, description="Only the keys that changed; null: the value was removed"
    )
    opt_in: OptInRecord | None = None
    last_seen_at: datetime | None = None
    updated_at: datetime
    actor: str | None = Field(
        default=None,
        description="Who changed the attributes or fields: a user, `flow:<flow id>`,"
        " `system:importer`, `system:fields`; absent on consent and last-seen changes",
    )


class ContactStatusChanged(_ContactEvent):
    event_type: ClassVar[str] = "ContactStatusChanged"

    from_status: ContactStatusName
    to_status: ContactStatusName
    reason: str | None
    actor: str
    opt_in: OptInRecord
    changed_at: datetime


class ContactAnonymized(_ContactEvent):
    """Carries no personal data: consumers must drop what they hold about the contact."""

    event_type: ClassVar[str] = "ContactAnonymized"

    actor: str
    anonymized_at: datetime


class ContactDeleted(_ContactEvent):
    event_type: ClassVar[str] = "ContactDeleted"

    actor: str
    deleted_at: datetime


class _FieldEvent(EventPayload):
    """The envelope's subject is the field, `<organisation id>:<key>`, and `sequence` its version
    (continued when a deleted key is defined again). The record key is the organisation id, so
    all of an organisation's field events stay in order."""

    topic: ClassVar[str] = CONTACTS.name
    key: str

    def partition_key(self, subject: str) -> str:
        return subject.rsplit(":", 1)[0]


class FieldDefined(_FieldEvent):
    event_type: ClassVar[str] = "FieldDefined"

    label: str
    type: FieldTypeName
    featured: bool
    order: int
    updated_at: datetime


class FieldChanged(_FieldEvent):
    """The whole definition after the change, and which attributes changed. After a type change,
    contacts' values are re-read in the background: unconvertible values are cleared."""

    event_type: ClassVar[str] = "FieldChanged"

    label: str
    type: FieldTypeName
    featured: bool
    order: int
    changed: list[str]
    previous_type: FieldTypeName
    updated_at: datetime


class FieldDeleted(_FieldEvent):
    """The field and every contact's value for it are gone."""

    event_type: ClassVar[str] = "FieldDeleted"

    deleted_at: datetime
