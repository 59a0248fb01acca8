"""Commands for the groups service on `roster.groups.commands` from the flows service: a
contact to add to groups (the group an opt-in keyword joins, a flow's `add_contact_groups`)
or to take out of them (`remove_contact_groups`). Keyed by contact id.

The flows service sends it once the contacts service's own event showed the contact active
(`contact_version`, that event's sequence), so the groups service, whose copy of the contact
may not have caught up yet, knows the contact could join at that version: a copy older than it
does not refuse the contact (a later stop takes it out again, as always). Groups that are gone
or smart are left out and logged; adding a member twice changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import Field

from shared.contracts.envelope import EventPayload
from shared.contracts.topics import GROUP_COMMANDS


class AddContactToGroups(EventPayload):
    topic: ClassVar[str] = GROUP_COMMANDS.name
    event_type: ClassVar[str] = "AddContactToGroups"

    contact_id: str
    group_ids: list[str] = Field(min_length=1, max_length=100)
    contact_version: int = Field(
        ge=0, description="The contact's sequence at which it was seen able to join"
    )
    actor: str = Field(max_length=200, description="Who asks: `flows:keyword`, ...")
    requested_at: datetime

    def partition_key(self, subject: str) -> str:
        return self.contact_id


class RemoveContactFromGroups(EventPayload):
    """Out of the groups named, or of every manual group (`all_groups`); smart groups follow
    their query and are left alone."""

    topic: ClassVar[str] = GROUP_COMMANDS.name
    event_type: ClassVar[str] = "RemoveContactFromGroups"

    contact_id: str
    group_ids: list[str] = Field(default_factory=list, max_length=100)
    all_groups: bool = False
    actor: str = Field(max_length=200)
    requested_at: datetime

    def partition_key(self, subject: str) -> str:
        return self.contact_id
