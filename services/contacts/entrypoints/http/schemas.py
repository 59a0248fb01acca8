"""Request and response bodies of the contacts API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.contacts.domain.commands import ContactInput
from services.contacts.domain.fields import FieldDefinition
from services.contacts.domain.model import Contact
from services.contacts.domain.organization import Organization
from shared.contactql.syntax import MAX_INPUT_LENGTH
from shared.http.errors import ErrorDetail

MAX_BATCH = 1000


class ContactFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    phone: str | int | None = None
    secondary_phone: str | int | None = None
    email: str | None = None
    category: str | None = None
    language: str | None = None
    fields: dict[str, Any] | None = None

    def to_input(self, opt_in: bool = False, opt_in_method: str | None = None) -> ContactInput:
        present = set(self.model_fields_set) - {"opt_in", "opt_in_method", "version"}
        return ContactInput(
            phone=None if self.phone is None else str(self.phone),
            name=self.name,
            secondary_phone=None if self.secondary_phone is None else str(self.secondary_phone),
            email=self.email,
            category=self.category,
            language=self.language,
            fields=self.fields,
            opt_in=opt_in,
            opt_in_method=opt_in_method,
            present=frozenset(present),
        )


class CreateContactBody(ContactFields):
    opt_in: bool = Field(default=False, description="Record consent now")
    opt_in_method: str | None = Field(default=None, max_length=64)

    def contact_input(self) -> ContactInput:
        return self.to_input(self.opt_in, self.opt_in_method)


class BatchCreateBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Entries stay raw here so that each is validated on its own.
    contacts: list[Any] = Field(min_length=1, max_length=MAX_BATCH)


class UpdateContactBody(ContactFields):
    version: int | None = Field(default=None, description="Refuse the change if not current")


class StatusBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["active", "archived", "blocked", "stopped"]
    reason: str | None = Field(default=None, max_length=500)


class ActionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["block", "unblock", "archive", "restore", "stop", "delete"]
    ids: list[str] = Field(min_length=1, max_length=MAX_BATCH)
    reason: str | None = Field(default=None, max_length=500)


class OptInView(BaseModel):
    status: str
    opted_in_at: datetime | None
    opt_in_method: str | None
    opted_out_at: datetime | None
    opt_out_method: str | None


class ContactView(BaseModel):
    id: str
    name: str | None
    phone: str | None
    secondary_phone: str | None
    email: str | None
    category: str | None
    language: str | None
    fields: dict[str, Any]
    status: str
    opt_in: OptInView
    groups: list[str]
    anonymized: bool
    created_at: datetime | None
    updated_at: datetime | None
    last_seen_at: datetime | None
    version: int

    @classmethod
    def of(cls, c: Contact) -> ContactView:
        return cls(
            id=c.id,
            name=c.name,
            phone=c.phone,
            secondary_phone=c.secondary_phone,
            email=c.email,
            category=c.category,
            language=c.language,
            fields={key: value.record() for key, value in c.fields.items()},
            status=c.status.value,
            opt_in=OptInView(**c.opt_in.__dict__),
            groups=c.groups,
            anonymized=c.anonymized,
            created_at=c.created_at,
            updated_at=c.updated_at,
            last_seen_at=c.last_seen_at,
            version=c.version,
        )


class ContactPage(BaseModel):
    items: list[ContactView]
    next_cursor: str | None


class OrganizationView(BaseModel):
    id: str
    name: str | None
    default_country: str | None
    default_language: str | None
    timezone: str
    version: int

    @classmethod
    def of(cls, o: Organization) -> OrganizationView:
        return cls(
            id=o.id,
            name=o.name,
            default_country=o.default_country,
            default_language=o.default_language,
            timezone=o.timezone,
            version=o.version,
        )


class OrganizationPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    default_country: str | None = None
    default_language: str | None = None
    timezone: str | None = None


class FieldBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str = Field(min_length=1, max_length=64)
    key: str | None = Field(default=None, description="Derived from the label when not given")
    type: str = "text"
    featured: bool = False
    order: int = Field(default=0, ge=0, le=10_000)


class FieldPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str | None = Field(default=None, min_length=1, max_length=64)
    type: str | None = None
    featured: bool | None = None
    order: int | None = Field(default=None, ge=0, le=10_000)


class FieldView(BaseModel):
    key: str
    label: str
    type: str
    featured: bool
    order: int
    created_at: datetime | None
    updated_at: datetime | None
    values_pending: bool = Field(description="Contacts' values are still following a change")
    last_conversion: dict[str, Any] | None = Field(
        description="After a type change: values converted, and values cleared (with contact ids)"
    )
    version: int

    @classmethod
    def of(cls, d: FieldDefinition) -> FieldView:
        return cls(
            key=d.key,
            label=d.label,
            type=d.type.value,
            featured=d.featured,
            order=d.order,
            created_at=d.created_at,
            updated_at=d.updated_at,
            values_pending=d.values_pending,
            last_conversion=d.last_conversion,
            version=d.version,
        )


class QueryParseBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(max_length=MAX_INPUT_LENGTH)


class QueryParseView(BaseModel):
    query: str = Field(description="The normalized query")
    rapidpro_query: str = Field(
        description="The same query as RapidPro prints it (`fields.` and `urns.` prefixes, "
        "quoted values), for RapidPro-compatible tools"
    )
    fields: list[str]
    groups: list[str]
    attributes: list[str]
    allowed_in_smart_group: bool


class BatchEntryResult(BaseModel):
    index: int
    status: Literal["created", "error"]
    contact: ContactView | None = None
    error: ErrorDetail | None = None


class BatchCreateResult(BaseModel):
    created: int
    failed: int
    results: list[BatchEntryResult] = Field(description="One per entry, in order")


class ContactCount(BaseModel):
    count: int


class ActionResult(BaseModel):
    id: str
    status: Literal["ok", "deleted", "error"]
    contact_status: str | None = None
    error: ErrorDetail | None = None


class ActionOutcome(BaseModel):
    action: str
    succeeded: int
    failed: int
    results: list[ActionResult] = Field(description="One per distinct id")


class GroupRef(BaseModel):
    id: str
    name: str


class FieldUsage(BaseModel):
    smart_groups: list[GroupRef]
