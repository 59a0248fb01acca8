"""Expressions in a flow's texts, as goflow writes them: `@contact.name`,
`@contact.first_name`, `@contact.language`, `@contact.phone`, `@contact.fields.<key>` (also
`@fields.<key>`), `@results.<name>` (also `.value` and `.category`), `@input` and
`@input.text`. `@@` is a literal `@`. A value not set says nothing (goflow's empty text).

Anything else goflow reads (`@(...)` functions, `@run...`, `@urns...`, `@webhook`, `@trigger`,
`@parent`, `@child`, `@locals`) is named by `unsupported_expressions` when the flow is read: a
flow using one is refused rather than sent with a hole in it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

_MENTION = re.compile(r"@@|@\(|@([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)")
_KNOWN = re.compile(
    r"(contact\.(name|first_name|language|phone|fields\.[a-z0-9_]+)|fields\.[a-z0-9_]+"
    r"|results\.[a-z0-9_]+(\.(value|category))?|input(\.text)?)",
    re.IGNORECASE,
)
# `@` followed by these is an address or a mention, not an expression (goflow's own rule:
# only top-level names of its context start one).
_TOP = frozenset(
    {
        "contact",
        "fields",
        "results",
        "input",
        "run",
        "urns",
        "webhook",
        "trigger",
        "parent",
        "child",
        "locals",
        "globals",
        "resume",
        "node",
        "legacy_extra",
    }
)


@dataclass(frozen=True)
class Context:
    """What a text may name: the contact as the run sees it, the run's results, the input."""

    name: str | None
    language: str | None
    phone: str | None
    fields: Mapping[str, str]
    results: Mapping[str, tuple[str, str]]  # name key -> (value, category)
    input: str | None

    def value(self, path: str) -> str:
        parts = path.lower().split(".")
        head = parts[0]
        if head == "contact" and parts[1] == "fields":
            return self.fields.get(parts[2], "")
        if head == "contact":
            if parts[1] == "first_name":
                return (self.name or "").split(maxsplit=1)[0] if (self.name or "").strip() else ""
            return str(getattr(self, parts[1]) or "")
        if head == "fields":
            return self.fields.get(parts[1], "")
        if head == "results":
            value, category = self.results.get(parts[1], ("", ""))
            return category if parts[-1] == "category" else value
        return self.input or ""  # input, input.text


def unsupported_expressions(text: str) -> list[str]:
    found = []
    for match in _MENTION.finditer(text):
        if match.group(0) == "@(":
            found.append("@(...)")
        elif (
            (path := match.group(1))
            and path.split(".")[0].lower() in _TOP
            and not _KNOWN.fullmatch(_trimmed(path))
        ):
            found.append(f"@{path}")
    return found


def render(text: str, context: Context) -> str:
    def said(match: re.Match[str]) -> str:
        path = match.group(1)
        if path is None:
            return "@"
        if path.split(".")[0].lower() not in _TOP:
            return match.group(0)
        trimmed = _trimmed(path)
        return context.value(trimmed) + path[len(trimmed) :]

    return _MENTION.sub(said, text)


def _trimmed(path: str) -> str:
    """The longest known expression at the start of `path`: "@results.age.value." at the end
    of a sentence, or "@contact.name" followed by more dotted text, read as far as known."""
    parts = path.split(".")
    for end in range(len(parts), 0, -1):
        if _KNOWN.fullmatch(".".join(parts[:end])):
            return ".".join(parts[:end])
    return path
