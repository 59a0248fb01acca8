"""Single messages: one message to one contact asked for by another service (`SendMessage`:
a keyword's confirmation or welcome, a flow's message), outside any broadcast.

Each is stored once under an id derived from the organisation and the caller's stable id (the
same command delivered twice is one message) and goes out on its channel ahead of the
channel's broadcasts, at the channel's pace. Its status follows a broadcast recipient's rules
(a `Recipient` of its own: only forward; `sending` saved before it is handed over, settled
after a crash as a window is) and publishes the same events, with no `broadcast_id`.

Just before it goes, the contact is looked up again (`exclusion`): a message answering the
contact's own keyword goes unless the contact is blocked or deleted; any other also waits for
an active contact outside the blacklisted groups, as a broadcast's would. A contact the copy
does not know yet (created a moment ago for a new number) is written to at the phone given.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from services.dispatcher.domain.audience import late_exclusion
from services.dispatcher.domain.recipients import EARLIEST, Recipient, message_events
from shared.contracts.audience_copy import AudienceContact
from shared.contracts.envelope import EventPayload
from shared.contracts.message_commands import ANSWERS_KEYWORD, SendMessage

SINGLE = "single."


def single_message_id(org_id: str, caller_id: str) -> str:
    """Ours, stable for the caller's id, and never taken for a broadcast recipient's (which
    has a bucket number where this has a digest)."""
    digest = hashlib.sha256(f"{org_id}\x00{caller_id}".encode()).hexdigest()[:32]
    return f"{SINGLE}{digest}"


@dataclass
class SingleMessage:
    id: str
    org_id: str
    channel_id: str
    text: str
    purpose: str
    recipient: Recipient
    requested_at: datetime  # the asker's clock
    queued_at: datetime  # ours: the queue's order
    version: int = 0
    # What the last change published, stored with it by the repository (outbox).
    events: list[EventPayload] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def asked(cls, cmd: SendMessage, org_id: str, now: datetime) -> SingleMessage:
        return cls(
            id=single_message_id(org_id, cmd.message_id),
            org_id=org_id,
            channel_id=cmd.channel_id,
            text=cmd.text,
            purpose=cmd.purpose,
            recipient=Recipient(cmd.contact_id, cmd.phone, updated_at=now),
            requested_at=cmd.requested_at,
            queued_at=now,
        )

    @property
    def contact_id(self) -> str:
        return self.recipient.contact_id

    @property
    def due_at(self) -> datetime | None:
        """When the channel's sender may take it next: at once if it was being sent (a
        dispatcher died), when its retry or pair interval is over, None once it is done."""
        if self.recipient.status == "sending":
            return EARLIEST
        if self.recipient.status == "queued":
            return self.recipient.not_before or self.queued_at
        return None

    @property
    def answers_keyword(self) -> bool:
        return self.purpose in ANSWERS_KEYWORD

    def exclusion(self, contact: AudienceContact | None, blacklisted: frozenset[str]) -> str | None:
        """Why the message is not to be sent now, if it is not."""
        if contact is None:
            return None  # not in the copy yet: the phone the asker gave
        if self.answers_keyword:
            if contact.gone:
                return "contact_deleted"
            return "blocked" if contact.status == "blocked" else None
        return late_exclusion(contact, blacklisted)

    def announce(self, before: str, now: datetime, text: str | None = None) -> None:
        """The events of the statuses reached since `before`."""
        self.events.extend(message_events(self.id, self.recipient, before, now,
                                          broadcast_id=None, channel_id=self.channel_id,
                                          text=text))  # fmt: skip
