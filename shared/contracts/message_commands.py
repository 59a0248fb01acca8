"""Commands for the dispatcher on `roster.messages.commands` from the flows service: a single
message to one contact (a keyword's confirmation or welcome; a flow's messages later). Keyed
by contact id, so one contact's messages go out in the order they were asked for.

`message_id` is the caller's, stable: the same command delivered twice is one message. The
dispatcher sends it on the channel named, ahead of the channel's broadcasts, at the channel's
pace, and publishes its fate as for any message (`MessageSent` ... with no `broadcast_id`).
Just before it goes, the contact is looked up again: blocked or deleted, it is skipped; stopped,
it is skipped too unless the message answers the contact's own keyword (`purpose`
`opt_out_confirmation`, the one message the rules allow after STOP, or `opt_in_welcome`). A
contact the dispatcher's copy does not know yet (created a moment ago for a new number) is
written to at the phone given.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import Field

from shared.contracts.envelope import EventPayload
from shared.contracts.topics import MESSAGE_COMMANDS

MessagePurpose = Literal["opt_out_confirmation", "opt_in_welcome", "flow"]
# Purposes that answer a contact's own keyword: sent whatever the contact's consent.
ANSWERS_KEYWORD: frozenset[str] = frozenset({"opt_out_confirmation", "opt_in_welcome"})


class SendMessage(EventPayload):
    topic: ClassVar[str] = MESSAGE_COMMANDS.name
    event_type: ClassVar[str] = "SendMessage"

    message_id: str = Field(min_length=1, max_length=200, description="Stable: the caller's")
    contact_id: str
    phone: str = Field(description="E.164, used when the dispatcher does not know the contact")
    channel_id: str
    text: str = Field(min_length=1, max_length=4096)
    purpose: MessagePurpose
    requested_at: datetime

    def partition_key(self, subject: str) -> str:
        return self.contact_id
