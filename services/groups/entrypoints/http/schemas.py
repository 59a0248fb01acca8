"""Request and response bodies of the groups API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.groups.domain.commands import MAX_IDS_PER_CALL
from services.groups.domain.errors import InvalidGroup
from services.groups.domain.member import MemberContact
from services.groups.domain.member_change import MemberChange
from services.groups.domain.model import MAX_DESCRIPTION, Group
from shared.contactql.syntax import MAX_INPUT_LENGTH


class GroupBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=200)
    description: str | None = Field(default=None, max_length=MAX_DESCRIPTION)
    query: str | None = Field(
        default=None,
        max_length=MAX_INPUT_LENGTH,
        description="Given: a smart group following this query",
    )
    blacklisted: bool = False
    staff: list[str] = Field(default_factory=list, max_length=1000)


class GroupPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=MAX_DESCRIPTION)
    query: str | None = Field(default=None, max_length=MAX_INPUT_LENGTH)
    blacklisted: bool | None = None
    staff: list[str] | None = Field(default=None, max_length=1000)
    version: int | None = Field(default=None, description="Refuse the change if not current")

    def changes(self) -> dict[str, Any]:
        given = self.model_fields_set - {"version"}
        changes = {key: getattr(self, key) for key in given}
        for key in ("name", "blacklisted", "staff", "query"):
            if key in changes and changes[key] is None:
                raise InvalidGroup(f"{key} cannot be null", field=key)
        return changes


class GroupView(BaseModel):
    id: str
    name: str
    description: str | None
    type: str
    query: str | None
    smart_status: str | None
    smart_error: dict[str, Any] | None
    blacklisted: bool
    staff: list[str]
    member_count: int
    created_at: datetime | None
    updated_at: datetime | None
    version: int

    @classmethod
    def of(cls, g: Group) -> GroupView:
        return cls(
            id=g.id,
            name=g.name,
            description=g.description,
            type=g.type.value,
            query=g.query,
            smart_status=g.smart_status.value if g.smart_status else None,
            smart_error=g.smart_error,
            blacklisted=g.blacklisted,
            staff=g.staff,
            member_count=g.member_count,
            created_at=g.created_at,
            updated_at=g.updated_at,
            version=g.version,
        )


class MembersBody(BaseModel):
    """Either the contacts by id (answered at once, per id), or every contact matching a query
    now (run in the background: the answer is the change to follow)."""

    model_config = ConfigDict(extra="forbid")

    contact_ids: list[str] | None = Field(default=None, max_length=MAX_IDS_PER_CALL)
    query: str | None = Field(default=None, max_length=MAX_INPUT_LENGTH)

    def chosen(self) -> list[str] | str:
        """The ids, or the query."""
        if self.contact_ids is not None and self.query is None:
            return self.contact_ids
        if self.query is not None and self.contact_ids is None:
            return self.query
        raise InvalidGroup("give either contact_ids or query")


class MemberChangeView(BaseModel):
    """A change of members by query. `matched` (contacts selected) and `changed` (those that
    joined or left) grow while it runs; members follow its events shortly after (see the
    group's `member_count`)."""

    id: str
    group_id: str
    action: Literal["add", "remove"]
    query: str
    status: str
    matched: int
    changed: int
    error: dict[str, Any] | None
    created_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def of(cls, c: MemberChange) -> MemberChangeView:
        return cls(
            id=c.id,
            group_id=c.group_id,
            action="add" if c.add else "remove",
            query=c.query,
            status=c.status.value,
            matched=c.matched,
            changed=c.changed,
            error=c.error,
            created_at=c.created_at,
            finished_at=c.finished_at,
        )


class MemberView(BaseModel):
    id: str
    name: str | None
    phone: str | None
    email: str | None
    language: str | None
    status: str
    fields: dict[str, Any]

    @classmethod
    def of(cls, c: MemberContact) -> MemberView:
        return cls(
            id=c.id,
            name=c.name,
            phone=c.phone,
            email=c.email,
            language=c.language,
            status=c.status,
            fields={k: v.record() for k, v in c.fields.items()},
        )


class MemberPage(BaseModel):
    items: list[MemberView]
    next_cursor: str | None


class GroupList(BaseModel):
    items: list[GroupView]
    count: int


class MemberResult(BaseModel):
    id: str
    status: Literal["added", "already_member", "removed", "not_member", "refused"]
    reason: str | None = Field(
        default=None,
        description="Why refused: unknown_contact, contact_blocked, contact_stopped, "
        "contact_archived",
    )


class MembersAdded(BaseModel):
    added: int
    unchanged: int
    refused: int
    results: list[MemberResult]


class MembersRemoved(BaseModel):
    removed: int
    unchanged: int
    refused: int
    results: list[MemberResult]


class GroupRef(BaseModel):
    id: str
    name: str


class ContactGroups(BaseModel):
    items: list[GroupRef]


class RecountView(BaseModel):
    id: str
    before: int
    after: int


class RepublishView(BaseModel):
    id: str
    added: int
    removed: int
