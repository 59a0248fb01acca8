"""What follows a STOP or JOIN once the contacts service has applied it: the organisation's
confirmation or welcome, and for an opt-in the group it joins.

Waiting for the contacts service, rather than acting with the keyword, keeps the order right
across services: the welcome goes only to a contact that really is active and opted in again
(a blocked contact, or one an admin stopped since, gets nothing), and the groups service is
asked to add a contact only at a version of it that can join (`contact_version`). The
follow-up is stored with the inbound message that asked for it (one document: the message and
what it still owes), and settled when the audience copy shows the consent applied
(`due`). A contact already where the keyword would take it gets no second confirmation of
an opt-out; an opt-in then follows at once (the welcome and the group, asked for again).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.flows.domain.keywords import Consent
from shared.contracts.audience_copy import AudienceContact
from shared.contracts.envelope import EventPayload
from shared.contracts.group_commands import AddContactToGroups
from shared.contracts.message_commands import SendMessage

KEYWORD_ACTOR = "flows:keyword"


@dataclass(frozen=True)
class ConsentFollowUp:
    message_id: str  # the inbound message that asked for it
    org_id: str
    contact_id: str
    channel_id: str  # where the keyword came in: the reply goes back there
    phone: str
    consent: Consent
    reply: str | None
    group_id: str | None
    at: datetime

    def due(self, contact: AudienceContact) -> bool:
        """Whether the contact is where the consent takes it."""
        if self.consent == "opted_out":
            return contact.status == "stopped"
        opted_in = contact.opt_in is not None and contact.opt_in.status == "opted_in"
        return contact.status == "active" and opted_in

    def commands(self, contact: AudienceContact, now: datetime) -> list[EventPayload]:
        commands: list[EventPayload] = []
        if self.reply:
            purpose = "opt_out_confirmation" if self.consent == "opted_out" else "opt_in_welcome"
            commands.append(SendMessage(
                message_id=f"{self.message_id}:reply", contact_id=contact.id,
                phone=contact.phone or self.phone, channel_id=self.channel_id, text=self.reply,
                purpose=purpose, requested_at=now,
            ))  # fmt: skip
        if self.consent == "opted_in" and self.group_id:
            commands.append(AddContactToGroups(
                contact_id=contact.id, group_ids=[self.group_id], contact_version=contact.version,
                actor=KEYWORD_ACTOR, requested_at=now,
            ))  # fmt: skip
        return commands
