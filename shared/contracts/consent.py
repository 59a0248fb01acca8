"""Commands for the contacts service on `roster.contacts.commands`, from the services that act
on what contacts say (the flows service's STOP and JOIN keywords): the contact's consent to
be messaged, which the contacts service owns. Keyed by contact id, so one contact's commands
are applied in the order they were given.

Applied by the contacts service's own rules: opting out stops the contact (it leaves every
group, as any stop does); opting in makes a stopped contact active again and records consent
(method `keyword`); a blocked contact is never changed this way. A command older than the
contact's last status change is ignored (the organisation's own later decision stands), and
one that changes nothing publishes nothing: a repeat is harmless.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import Field

from shared.contracts.envelope import EventPayload
from shared.contracts.topics import CONTACT_COMMANDS

ConsentName = Literal["opted_out", "opted_in"]


class ChangeContactConsent(EventPayload):
    topic: ClassVar[str] = CONTACT_COMMANDS.name
    event_type: ClassVar[str] = "ChangeContactConsent"

    contact_id: str
    consent: ConsentName
    method: str = Field(max_length=40, description="How it was given: keyword, ...")
    actor: str = Field(max_length=200, description="Who asks: `flows:keyword`, ...")
    reason: str | None = Field(
        default=None, max_length=200, description="Recorded with the status change"
    )
    requested_at: datetime

    def partition_key(self, subject: str) -> str:
        return self.contact_id
