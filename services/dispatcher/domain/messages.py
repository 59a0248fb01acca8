"""What a broadcast says: free text (with expressions) or a template, and that message as said
to one contact.

A broadcast keeps its own copy of the template it was made with, so changing or deleting the
template later changes nothing already created. The message is said to each contact when its
turn comes, from the dispatcher's copy of the contact, so a name corrected meanwhile is the
name sent; a contact whose value went missing meanwhile is skipped (`missing_variable`).
"""

from __future__ import annotations

from dataclasses import dataclass

from services.dispatcher.domain.errors import InvalidBroadcast
from services.dispatcher.domain.expressions import TextWithExpressions
from services.dispatcher.domain.templates import Template, TemplateCall
from shared.contracts.audience_copy import AudienceContact

MAX_TEXT = 4096


@dataclass(frozen=True)
class Said:
    """One contact's message: its text and, for a template, the call a provider that knows
    templates (WhatsApp) sends instead of the text."""

    text: str
    template: TemplateCall | None = None


@dataclass(frozen=True)
class FreeText:
    body: TextWithExpressions

    @classmethod
    def of(cls, text: str | None) -> FreeText:
        if text is None or not text.strip():
            raise InvalidBroadcast("a broadcast needs a text or a template", field="text")
        if len(text) > MAX_TEXT:
            raise InvalidBroadcast(f"a text has at most {MAX_TEXT} characters", field="text")
        return cls(TextWithExpressions.parse(text))

    @property
    def text(self) -> str:
        return self.body.text

    # WhatsApp takes free text only within 24 hours of the contact's last message.
    needs_window = True

    @property
    def personal(self) -> bool:
        """Says something about the contact (so each one's copy is read to say it)."""
        return bool(self.body.expressions)

    def said_to(self, contact: AudienceContact, default_language: str | None) -> Said | str:
        text = self.body.render(contact)
        return "missing_variable" if text is None else Said(text)


@dataclass(frozen=True)
class TemplateMessage:
    template: Template

    needs_window = False
    personal = True  # its language is the contact's

    def said_to(self, contact: AudienceContact, default_language: str | None) -> Said | str:
        call = self.template.said_to(contact, default_language)
        if isinstance(call, str):
            return call
        return Said(self.template.text(call), call)


Message = FreeText | TemplateMessage
