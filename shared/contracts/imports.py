"""Import jobs: the importer's public events on `roster.imports`, the commands it sends the
contacts and groups services, and their replies. Everything is keyed by the import id, so the
batches of one import are handled in order.

Commands and replies travel in the same envelope as events; the subject is
`<import id>:<batch number>`, and `sequence` is the batch number.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts.contacts import ContactStatusName, FieldTypeName
from shared.contracts.envelope import EventPayload
from shared.contracts.topics import CONTACT_COMMANDS, GROUP_COMMANDS, IMPORT_REPLIES, IMPORTS

ImportMode = Literal["create", "upsert"]
ImportStatus = Literal["queued", "validating", "importing", "completed", "failed", "cancelled"]
RowOutcomeName = Literal["created", "updated", "unchanged", "skipped", "failed"]
MAX_ROWS_PER_BATCH = 2000


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ImportCounters(_Part):
    rows_read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    failed: int = 0


class _ImportKeyed(EventPayload):
    import_id: str

    def partition_key(self, subject: str) -> str:
        return self.import_id


class _ImportEvent(_ImportKeyed):
    topic: ClassVar[str] = IMPORTS.name


class ImportStarted(_ImportEvent):
    event_type: ClassVar[str] = "ImportStarted"

    file_name: str
    mode: ImportMode
    total_rows: int
    started_at: datetime


class ImportProgressed(_ImportEvent):
    """Published at most about once a second while the import runs."""

    event_type: ClassVar[str] = "ImportProgressed"

    total_rows: int
    counters: ImportCounters
    at: datetime


class ImportCompleted(_ImportEvent):
    """The job ended: completed, failed (with `error`) or cancelled."""

    event_type: ClassVar[str] = "ImportCompleted"

    status: Literal["completed", "failed", "cancelled"]
    total_rows: int
    counters: ImportCounters
    error: str | None = None
    completed_at: datetime


class ImportedRow(_Part):
    """One row as the importer read it: cleaned text, not yet validated. An attribute or field
    absent from the row is left unchanged; present with null (`--` in the file) clears it."""

    row: int = Field(ge=1, description="Row number in the file (the header is row 1)")
    phone: str | None = None
    attributes: dict[str, str | None] = Field(default_factory=dict)
    fields: dict[str, str | None] = Field(default_factory=dict)
    groups: list[str] = Field(default_factory=list)
    opt_in: bool | None = None
    status: str | None = None
    columns: dict[str, str] = Field(
        default_factory=dict, description="Which file column each attribute came from"
    )


class NewField(_Part):
    key: str
    label: str
    type: FieldTypeName


class ImportContactRows(_ImportKeyed):
    """Command: create (mode create) or create-or-update (mode upsert) these rows' contacts."""

    event_type: ClassVar[str] = "ImportContactRows"
    topic: ClassVar[str] = CONTACT_COMMANDS.name

    batch: int = Field(ge=1)
    mode: ImportMode
    opt_in: bool = Field(description="The whole file is declared opted in (method import)")
    default_country: str | None = None
    create_fields: list[NewField] = Field(
        default_factory=list, description="Fields to define first, where missing"
    )
    rows: list[ImportedRow] = Field(max_length=MAX_ROWS_PER_BATCH)


class RowOutcome(_Part):
    row: int
    outcome: RowOutcomeName
    contact_id: str | None = None
    status: ContactStatusName | None = None
    code: str | None = Field(default=None, description="Why it failed or was skipped, or a note")
    column: str | None = None
    value: str | None = None
    message: str | None = None
    groups: list[str] = Field(
        default_factory=list,
        description="Ids of the groups a created contact was entered in as it was created",
    )


class BatchReply(_ImportKeyed):
    """What every reply to one batch of an import's commands carries."""

    topic: ClassVar[str] = IMPORT_REPLIES.name

    batch: int


class ContactRowsImported(BatchReply):
    """Reply of the contacts service: one outcome per row of the batch."""

    event_type: ClassVar[str] = "ContactRowsImported"

    rows: list[RowOutcome]


class ImportedMember(_Part):
    row: int
    contact_id: str
    groups: list[str] = Field(description="Group names; missing manual groups are created")
    entered: list[str] = Field(
        default_factory=list,
        description=(
            "Ids of the groups the contacts service entered the contact in as it created it (by"
            " these names, as its directory of groups knew them): the groups service records"
            " these memberships too, for each that is still a manual group"
        ),
    )


class ImportGroupMembers(_ImportKeyed):
    """Command: add these just imported, active contacts to the named groups."""

    event_type: ClassVar[str] = "ImportGroupMembers"
    topic: ClassVar[str] = GROUP_COMMANDS.name

    batch: int = Field(ge=1)
    members: list[ImportedMember] = Field(max_length=MAX_ROWS_PER_BATCH)


class MemberRefusal(_Part):
    row: int
    contact_id: str
    group: str
    code: str
    message: str


class GroupMembersImported(BatchReply):
    """Reply of the groups service: the groups used (name: id) and the refused memberships."""

    event_type: ClassVar[str] = "GroupMembersImported"

    groups: dict[str, str]
    refused: list[MemberRefusal] = Field(default_factory=list)
