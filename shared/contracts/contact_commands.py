"""Commands for the contacts service on `roster.contacts.commands` from the flows service: the
changes a flow makes to a contact (`set_contact_field`, `set_contact_name`,
`set_contact_language`, `set_contact_status`). Keyed by contact id, so one contact's changes
are applied in the order the flow made them.

Applied by the contacts service's own rules, with the flow as the actor: each attribute and
each field value is checked on its own (a value its field's type cannot read, or a field not
defined, is left out and logged; the rest is applied), a contact deleted since is left alone.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import Field

from shared.contracts.envelope import EventPayload
from shared.contracts.topics import CONTACT_COMMANDS


class _ContactCommand(EventPayload):
    topic: ClassVar[str] = CONTACT_COMMANDS.name

    contact_id: str
    actor: str = Field(max_length=200, description="Who asks: `flow:<flow id>`")
    requested_at: datetime

    def partition_key(self, subject: str) -> str:
        return self.contact_id


class ChangeContactFields(_ContactCommand):
    """Only what is given changes; a field given null (or empty text) is cleared."""

    event_type: ClassVar[str] = "ChangeContactFields"

    name: str | None = Field(default=None, max_length=200)
    language: str | None = Field(default=None, max_length=20)
    fields: dict[str, str | None] = Field(default_factory=dict, max_length=100)


class ChangeContactStatus(_ContactCommand):
    event_type: ClassVar[str] = "ChangeContactStatus"

    status: Literal["active", "archived", "blocked", "stopped"]
    reason: str | None = Field(default=None, max_length=200)
