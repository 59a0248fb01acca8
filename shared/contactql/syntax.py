"""The contact query language's syntax (RapidPro contactql): text in, a tree of comparisons out.

    query      := or_expr
    or_expr    := and_expr ("OR" and_expr)*
    and_expr   := unary (["AND"] unary)*          adjacent terms are ANDed
    unary      := "(" or_expr ")" | comparison | value
    comparison := property operator value         operators: = != ~ > < >= <= has is
    value      := bare text | "double-quoted text"   (Go's escapes, as RapidPro reads them)

Keywords are case-insensitive; AND binds tighter than OR. What a property means, and whether a
value suits it, is decided later (`resolve`); this module only knows the shape of a query.

The limits are RapidPro's: 10,000 characters, 250 conditions, 100 levels of parentheses, each
answered `too_complex` with the limit in its details.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from shared.contactql.errors import QueryError
from shared.contactql.quoting import go_quote, go_unquote

MAX_LENGTH = 10_000
MAX_DEPTH = 100
MAX_CONDITIONS = 250
# What an API accepts as query text: far above MAX_LENGTH, so a long query is refused by the
# language (`too_complex`, naming its limit) and only absurd input by request validation.
MAX_INPUT_LENGTH = 100_000
# AND inside OR inside AND ...: each level is two levels of a store filter, which MongoDB caps.
MAX_NESTING = 20


class Operator(StrEnum):
    EQ = "="
    NE = "!="
    CONTAINS = "~"
    GT = ">"
    LT = "<"
    GTE = ">="
    LTE = "<="


WORD_OPERATORS = {"has": Operator.CONTAINS, "is": Operator.EQ}
SYMBOL_OPERATORS = sorted((op.value for op in Operator), key=len, reverse=True)


@dataclass(frozen=True)
class Comparison:
    """`property op value`; `property` is None for a bare value (resolved to name or phone)."""

    property: str | None
    operator: Operator
    value: str


@dataclass(frozen=True)
class Combination:
    """AND or OR over two or more terms (nested combinations of the same kind are flattened)."""

    operator: str  # "AND" | "OR"
    terms: tuple[Node, ...]


Node = Comparison | Combination

_TEXT = re.compile(r'[^\s()"=!<>~]+')


@dataclass(frozen=True)
class _Token:
    kind: str  # text | string | op | and | or | lparen | rparen | end
    value: str
    position: int


def _tokens(query: str) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    while i < len(query):
        char = query[i]
        if char.isspace():
            i += 1
        elif char in "()":
            tokens.append(_Token("lparen" if char == "(" else "rparen", char, i))
            i += 1
        elif char == '"':
            value, end = _string(query, i)
            tokens.append(_Token("string", value, i))
            i = end
        elif symbol := next((s for s in SYMBOL_OPERATORS if query.startswith(s, i)), None):
            tokens.append(_Token("op", symbol, i))
            i += len(symbol)
        elif match := _TEXT.match(query, i):
            word = match.group()
            keyword = word.lower()
            if keyword in ("and", "or"):
                tokens.append(_Token(keyword, keyword.upper(), i))
            elif keyword in WORD_OPERATORS:
                tokens.append(_Token("op", WORD_OPERATORS[keyword].value, i))
            else:
                tokens.append(_Token("text", word, i))
            i = match.end()
        else:
            raise QueryError("syntax", f"unexpected {char!r}", position=i)
    tokens.append(_Token("end", "", len(query)))
    return tokens


def _string(query: str, start: int) -> tuple[str, int]:
    """The value of the quoted literal at `start`: it ends at the first quote no backslash
    escapes, and its escapes are Go's (`go_unquote`)."""
    i = start + 1
    while i < len(query):
        char = query[i]
        if char == "\\":
            i += 2
        elif char == '"':
            return go_unquote(query[start + 1 : i]), i + 1
        else:
            i += 1
    raise QueryError("syntax", "unterminated quoted value", position=start)


class _Parser:
    def __init__(self, query: str) -> None:
        self.tokens = _tokens(query)
        self.at = 0
        self.depth = 0
        self.conditions = 0

    @property
    def token(self) -> _Token:
        return self.tokens[self.at]

    def take(self) -> _Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def parse(self) -> Node:
        if self.token.kind == "end":
            raise QueryError("syntax", "the query is empty", position=0)
        node = self.or_expr()
        if self.token.kind != "end":
            raise QueryError(
                "syntax", f"unexpected {self.token.value!r}", position=self.token.position
            )
        return node

    def or_expr(self) -> Node:
        terms = [self.and_expr()]
        while self.token.kind == "or":
            self.take()
            terms.append(self.and_expr())
        return _combine("OR", terms)

    def and_expr(self) -> Node:
        terms = [self.unary()]
        while self.token.kind in ("and", "text", "string", "lparen"):
            if self.token.kind == "and":
                self.take()
            terms.append(self.unary())
        return _combine("AND", terms)

    def unary(self) -> Node:
        token = self.token
        if token.kind == "lparen":
            self.take()
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise too_complex(f"more than {MAX_DEPTH} levels of parentheses", MAX_DEPTH)
            node = self.or_expr()
            if self.token.kind != "rparen":
                raise QueryError("syntax", "missing ')'", position=self.token.position)
            self.take()
            self.depth -= 1
            return node
        if token.kind not in ("text", "string"):
            what = "the end of the query" if token.kind == "end" else repr(token.value)
            raise QueryError("syntax", f"unexpected {what}", position=token.position)
        self.take()
        self.conditions += 1
        if self.conditions > MAX_CONDITIONS:
            raise too_complex(f"more than {MAX_CONDITIONS} conditions", MAX_CONDITIONS)
        if self.token.kind != "op":
            return Comparison(None, Operator.CONTAINS, token.value)
        if token.kind == "string":
            raise QueryError("syntax", "a property name cannot be quoted", position=token.position)
        operator = Operator(self.take().value)
        value = self.token
        if value.kind not in ("text", "string"):
            raise QueryError("syntax", "a value must follow the operator", position=value.position)
        self.take()
        return Comparison(token.value.lower(), operator, value.value)


def _combine(operator: str, terms: list[Node]) -> Node:
    if len(terms) == 1:
        return terms[0]
    flat: list[Node] = []
    for term in terms:
        if isinstance(term, Combination) and term.operator == operator:
            flat.extend(term.terms)
        else:
            flat.append(term)
    return Combination(operator, tuple(flat))


def too_complex(message: str, limit: int) -> QueryError:
    return QueryError("too_complex", message, limit=limit)


def check_length(query: str) -> None:
    """Characters, not bytes, as RapidPro counts them."""
    if len(query) > MAX_LENGTH:
        raise too_complex(f"the query is longer than {MAX_LENGTH} characters", MAX_LENGTH)


def parse(query: str) -> Node:
    check_length(query)
    node = _Parser(query).parse()
    if _nesting(node) > MAX_NESTING:
        raise too_complex(f"AND and OR nest more than {MAX_NESTING} levels deep", MAX_NESTING)
    return node


def _nesting(node: Node) -> int:
    if isinstance(node, Comparison):
        return 0
    return 1 + max(_nesting(term) for term in node.terms)


def quote(value: str) -> str:
    """Bare when the value reads back as the same single value and shows every character,
    otherwise double-quoted."""
    bare = _TEXT.fullmatch(value) and value.isprintable()
    if bare and value.lower() not in ("and", "or", *WORD_OPERATORS):
        return value
    return go_quote(value)


def render(node: Node) -> str:
    """The normalized text of a query: canonical operators, parentheses only where needed."""
    if isinstance(node, Comparison):
        prop = node.property if node.property is not None else "name"
        return f"{prop} {node.operator.value} {quote(node.value)}"
    parts = []
    for term in node.terms:
        text = render(term)
        if isinstance(term, Combination) and node.operator == "AND":
            text = f"({text})"  # an OR inside an AND
        parts.append(text)
    return f" {node.operator} ".join(parts)


_RAPIDPRO_PLAIN = re.compile(r"[0-9]+(\.[0-9]+)?")


def render_rapidpro(node: Node, nested: bool = False) -> str:
    """RapidPro's printed form: every value Go-quoted except plain numbers, and every
    combination inside another in parentheses. Properties arrive already prefixed."""
    if isinstance(node, Comparison):
        value = node.value if _RAPIDPRO_PLAIN.fullmatch(node.value) else go_quote(node.value)
        return f"{node.property} {node.operator.value} {value}"
    text = f" {node.operator} ".join(render_rapidpro(term, nested=True) for term in node.terms)
    return f"({text})" if nested else text
