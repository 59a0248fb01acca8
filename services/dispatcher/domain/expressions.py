"""Expressions: what a message says about the contact it goes to.

`@contact.name`, `@contact.first_name`, `@contact.phone`, `@contact.language` and
`@contact.fields.<key>`, as RapidPro and Glific write them, in a broadcast's free text or in a
template parameter's value, wherever they stand in it. `@@` is a literal `@`. An expression
names an attribute this module knows, or the text holding it is refused when it is saved, not
when it is sent.
A value that is not set is empty: the message is then not sent to that contact
(`missing_variable`), unless a template parameter gives a fallback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from services.dispatcher.domain.errors import InvalidExpression
from shared.contracts.audience_copy import AudienceContact
from shared.field_keys import KEY, MAX_KEY

ATTRIBUTES = ("name", "first_name", "phone", "language")
# `@contact.` and the dotted path after it; a full stop not followed by a letter or digit ends
# the sentence ("Hello @contact.name."), it is not part of the expression.
_MENTION = re.compile(r"@@|@contact\.([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)")


@dataclass(frozen=True)
class Expression:
    """One reference to the contact: an attribute, or `fields.<key>`."""

    path: str

    @classmethod
    def parse(cls, path: str) -> Expression:
        if path in ATTRIBUTES:
            return cls(path)
        prefix, _, key = path.partition(".")
        if prefix == "fields" and KEY.fullmatch(key) and len(key) <= MAX_KEY:
            return cls(path)
        raise InvalidExpression(
            f"@contact.{path} is not something a message can say: use "
            + ", ".join(f"@contact.{a}" for a in ATTRIBUTES)
            + " or @contact.fields.<key>",
            expression=f"@contact.{path}",
        )

    def value(self, contact: AudienceContact) -> str:
        """The contact's value as text; empty when it has none."""
        if self.path == "first_name":
            return (contact.name or "").split(maxsplit=1)[0] if (contact.name or "").strip() else ""
        if self.path in ATTRIBUTES:
            return (getattr(contact, self.path) or "").strip()
        held = contact.fields.get(self.path.removeprefix("fields."))
        return held.text.strip() if held is not None else ""

    def __str__(self) -> str:
        return f"@contact.{self.path}"


@dataclass(frozen=True)
class TextWithExpressions:
    """Free text and the expressions in it, checked once."""

    text: str
    expressions: tuple[Expression, ...]

    @classmethod
    def parse(cls, text: str) -> TextWithExpressions:
        found = [Expression.parse(m.group(1)) for m in _MENTION.finditer(text) if m.group(1)]
        return cls(text, tuple(dict.fromkeys(found)))

    def render(self, contact: AudienceContact) -> str | None:
        """The text said to this contact; None when an expression in it has no value."""
        if not self.expressions:
            return self.text.replace("@@", "@")
        values = {str(e): e.value(contact) for e in self.expressions}
        if not all(values.values()):
            return None

        def said(match: re.Match[str]) -> str:
            return "@" if match.group(1) is None else values[f"@contact.{match.group(1)}"]

        return _MENTION.sub(said, self.text)
