"""The Template aggregate: a message approved once (WhatsApp requires it outside the 24-hour
window) and said to each contact in their language, with their values in its parameters.

A template has per-language variants (`{"eng": "Hello {{1}}, your class {{2}} starts Monday"}`)
and one definition of its parameters, shared by every variant: positional (`{{1}}`, `{{2}}`,
...) or named (`{{first_name}}`), never both, as WhatsApp allows. Each parameter's value is
text, literal or with expressions in it (`@contact.first_name`, `Mr @contact.name`; `@@` is a
literal `@`), with an optional fallback for contacts who have no value for one of them. Every
variant must use exactly the parameters defined, so no contact ever gets a variant with a hole
in it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from services.dispatcher.domain.errors import InvalidTemplate, TemplateParameterMismatch
from services.dispatcher.domain.expressions import TextWithExpressions
from shared.contracts.audience_copy import AudienceContact
from shared.languages import iso639_3

NAME = re.compile(r"[a-z0-9_]{1,512}")  # WhatsApp's rule for template names
CATEGORIES = ("marketing", "utility", "authentication")
MAX_VARIANT = 1024  # WhatsApp's limit on a template's body
MAX_VARIANTS = 60
MAX_PARAMETERS = 50
MAX_VALUE = 1024
PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
POSITIONAL = re.compile(r"[1-9][0-9]{0,2}")
NAMED = re.compile(r"[a-z_][a-z0-9_]{0,59}")
# Every line or paragraph break Unicode knows, and tabs; then any run of five or more spaces
# (no-break and other Unicode spaces included).
_LINE_BREAKS = re.compile(r"[\r\n\t\v\f\x1c-\x1e\x85\u2028\u2029]+")
_LONG_SPACES = re.compile(r"\s{5,}")


def parameter_text(value: str) -> str:
    """WhatsApp's rules on a parameter's text: no new lines or tabs (each run becomes one
    space), no more than four spaces in a row (a longer run becomes four)."""
    return _LONG_SPACES.sub("    ", _LINE_BREAKS.sub(" ", value)).strip()


@dataclass(frozen=True)
class Parameter:
    name: str
    value: str  # text, literal or with expressions in it
    fallback: str | None = None

    @classmethod
    def of(cls, name: str, given: str | Mapping[str, Any]) -> Parameter:
        """`"@contact.name"`, or `{"value": "@contact.name", "fallback": "friend"}`."""
        if isinstance(given, str):
            value, fallback = given, None
        else:
            unknown = set(given) - {"value", "fallback"}
            found, fallback = given.get("value"), given.get("fallback")
            if unknown or not isinstance(found, str) or not isinstance(fallback, str | None):
                raise InvalidTemplate(
                    'a parameter is "text" or {"value": "text", "fallback": "text"}',
                    parameter=name,
                )
            value = found
        if not value.strip() or len(value) > MAX_VALUE or len(fallback or "") > MAX_VALUE:
            raise InvalidTemplate(
                f"a parameter's value is 1 to {MAX_VALUE} characters", parameter=name
            )
        TextWithExpressions.parse(value)  # refused here if it names anything unknown
        return cls(name, value.strip(), parameter_text(fallback) or None if fallback else None)

    def said_to(self, contact: AudienceContact) -> str | None:
        """The value for this contact; None when an expression in it has no value (or it says
        nothing) and there is no fallback."""
        said = self.text.render(contact)
        return parameter_text(said or "") or self.fallback

    @cached_property
    def text(self) -> TextWithExpressions:
        return TextWithExpressions.parse(self.value)

    def as_given(self) -> str | dict[str, str]:
        return {"value": self.value, "fallback": self.fallback} if self.fallback else self.value


@dataclass(frozen=True)
class TemplateCall:
    """A template as said to one contact: the variant's language and each parameter's value,
    in the template's order (what a WhatsApp template message carries)."""

    name: str
    language: str  # ISO 639-3
    parameters: tuple[tuple[str, str], ...]
    named: bool


@dataclass
class Template:
    id: str
    org_id: str
    name: str
    category: str
    variants: dict[str, str]
    parameters: tuple[Parameter, ...]
    created_by: str
    created_at: datetime
    updated_at: datetime
    version: int = 1
    deleted: bool = False

    @classmethod
    def create(
        cls,
        *,
        template_id: str,
        org_id: str,
        by: str,
        now: datetime,
        name: str,
        category: str,
        variants: Mapping[str, str],
        parameters: Mapping[str, str | Mapping[str, Any]],
    ) -> Template:
        template = cls(
            id=template_id,
            org_id=org_id,
            name=name,
            category=category,
            variants={},
            parameters=(),
            created_by=by,
            created_at=now,
            updated_at=now,
        )
        template._set(name=name, category=category, variants=variants, parameters=parameters)
        return template

    def update(self, changes: Mapping[str, Any], now: datetime) -> None:
        """Only what is named changes; the result is checked whole (a new variant against the
        parameters kept, new parameters against the variants kept)."""
        self._set(**changes)
        self.updated_at = now
        self.version += 1

    def delete(self, now: datetime) -> None:
        """Broadcasts already created keep the copy they were made with."""
        self.deleted = True
        self.updated_at = now
        self.version += 1

    def _set(
        self,
        *,
        name: str | None = None,
        category: str | None = None,
        variants: Mapping[str, str] | None = None,
        parameters: Mapping[str, str | Mapping[str, Any]] | None = None,
    ) -> None:
        if name is not None:
            if not NAME.fullmatch(name):
                raise InvalidTemplate(
                    "a template's name is 1 to 512 lowercase letters, digits and underscores "
                    "(as WhatsApp names templates)",
                    field="name",
                )
            self.name = name
        if category is not None:
            if category not in CATEGORIES:
                raise InvalidTemplate(
                    "category is one of " + ", ".join(CATEGORIES), field="category"
                )
            self.category = category
        if parameters is not None:
            self.parameters = _parameters(parameters)
        if variants is not None:
            self.variants = _variants(variants)
        self._check_placeholders()

    def _check_placeholders(self) -> None:
        defined = [p.name for p in self.parameters]
        for language, text in self.variants.items():
            used = list(dict.fromkeys(PLACEHOLDER.findall(text)))
            if sorted(used) != sorted(defined):
                raise TemplateParameterMismatch(
                    f"the {language} variant uses {len(used)} parameters, the template defines "
                    f"{len(defined)}: every variant uses each parameter defined, and no other",
                    language=language,
                    defined=defined,
                    used=used,
                )

    def variant(self, language: str | None, default_language: str | None) -> str | None:
        """The contact's language if the template has it, else the organisation's."""
        for candidate in (language, default_language):
            if candidate and candidate in self.variants:
                return candidate
        return None

    def said_to(self, contact: AudienceContact, default_language: str | None) -> TemplateCall | str:
        """The template as said to this contact, or why it cannot be: `missing_variable`, or
        `no_template_language` (in that order, the order of a preview's exclusions)."""
        values: list[tuple[str, str]] = []
        for parameter in self.parameters:
            said = parameter.said_to(contact)
            if not said:
                return "missing_variable"
            values.append((parameter.name, said))
        language = self.variant(contact.language, default_language)
        if language is None:
            return "no_template_language"
        named = bool(self.parameters) and not POSITIONAL.fullmatch(self.parameters[0].name)
        return TemplateCall(self.name, language, tuple(values), named)

    def text(self, call: TemplateCall) -> str:
        """The variant with its values in place: what a channel that takes text says."""
        values = dict(call.parameters)
        return PLACEHOLDER.sub(lambda m: values[m.group(1)], self.variants[call.language])


def _parameters(given: Mapping[str, str | Mapping[str, Any]]) -> tuple[Parameter, ...]:
    if len(given) > MAX_PARAMETERS:
        raise InvalidTemplate(f"at most {MAX_PARAMETERS} parameters", field="parameters")
    names = list(given)
    positional = [n for n in names if POSITIONAL.fullmatch(n)]
    if positional and len(positional) != len(names):
        raise InvalidTemplate(
            "parameters are all positional ({{1}}, {{2}}, ...) or all named, not both",
            field="parameters",
        )
    if positional:
        if sorted(int(n) for n in names) != list(range(1, len(names) + 1)):
            raise InvalidTemplate(
                "positional parameters are numbered 1, 2, 3, ... without gaps",
                field="parameters",
            )
        names = sorted(names, key=int)
    elif bad := [n for n in names if not NAMED.fullmatch(n)]:
        raise InvalidTemplate(
            "a named parameter is lowercase letters, digits and underscores",
            field="parameters",
            names=bad,
        )
    return tuple(Parameter.of(n, given[n]) for n in names)


def _variants(given: Mapping[str, str]) -> dict[str, str]:
    if not given:
        raise InvalidTemplate("a template has at least one language's variant", field="variants")
    if len(given) > MAX_VARIANTS:
        raise InvalidTemplate(f"at most {MAX_VARIANTS} variants", field="variants")
    variants: dict[str, str] = {}
    for language, text in given.items():
        code = iso639_3(language)
        if code is None:
            raise InvalidTemplate("not a language", field="variants", language=language)
        if code in variants:
            raise InvalidTemplate("two variants in one language", field="variants", language=code)
        if not text.strip() or len(text) > MAX_VARIANT:
            raise InvalidTemplate(
                f"a variant is 1 to {MAX_VARIANT} characters", field="variants", language=code
            )
        variants[code] = text
    return variants
