"""The router tests a flow's `switch` may use, with goflow's meaning: each reads the operand
(what the contact wrote, a field's or a result's text) and answers the part that matched, or
None. Words are Unicode words compared ignoring case; numbers are the first number written
("about 42 years" is 42; "1,000" is a thousand); `has_beginning` and `has_pattern` trim the
text, and patterns ignore case. `has_group` is the engine's (it reads the contact's groups).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import phonenumbers

_WORD = re.compile(r"\w+")
_NUMBER = re.compile(r"[-+]?\d+(?:[.,]\d+)*")
_THOUSANDS = re.compile(r"[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")

Run = Callable[[str, tuple[str, ...]], str | None]


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def numbers_in(text: str) -> list[Decimal]:
    """Every number written, in order ("1,000" is a thousand; "3,5" three and a half)."""
    found = []
    for token in _NUMBER.findall(text):
        written = token.replace(",", "") if _THOUSANDS.fullmatch(token) else token.replace(",", ".")
        if (value := number(written)) is not None:
            found.append(value)
    return found


def first_number(text: str) -> Decimal | None:
    found = numbers_in(text)
    return found[0] if found else None


def number(argument: str) -> Decimal | None:
    """A finite number, or None."""
    try:
        value = Decimal(argument.strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _any_word(text: str, args: tuple[str, ...]) -> str | None:
    wanted = {w.casefold() for w in words(args[0])}
    found = [w for w in words(text) if w.casefold() in wanted]
    return " ".join(found) if found else None


def _all_words(text: str, args: tuple[str, ...]) -> str | None:
    wanted = {w.casefold() for w in words(args[0])}
    found = [w for w in words(text) if w.casefold() in wanted]
    return " ".join(found) if wanted and wanted <= {w.casefold() for w in found} else None


def _phrase(text: str, args: tuple[str, ...]) -> str | None:
    said, phrase = words(text), [w.casefold() for w in words(args[0])]
    if not phrase:
        return ""
    for start in range(len(said) - len(phrase) + 1):
        if [w.casefold() for w in said[start : start + len(phrase)]] == phrase:
            return " ".join(said[start : start + len(phrase)])
    return None


def _only_phrase(text: str, args: tuple[str, ...]) -> str | None:
    said = words(text)
    return (
        " ".join(said)
        if [w.casefold() for w in said] == [w.casefold() for w in words(args[0])]
        else None
    )


def _beginning(text: str, args: tuple[str, ...]) -> str | None:
    said, beginning = text.strip(), args[0].strip()
    if not said or not beginning or not said.casefold().startswith(beginning.casefold()):
        return None
    return said[: len(beginning)]


def _text(text: str, args: tuple[str, ...]) -> str | None:
    return text.strip() or None


def _pattern(text: str, args: tuple[str, ...]) -> str | None:
    found = re.search(args[0].strip(), text, re.IGNORECASE | re.MULTILINE)
    return found.group(0) if found else None


def _number_test(keep: Callable[[Decimal, tuple[Decimal, ...]], bool]) -> Run:
    """The first number written that passes ("2 kids, I'm 35" is 35 between 18 and 99)."""

    def run(text: str, args: tuple[str, ...]) -> str | None:
        bounds = [number(a) for a in args]
        known = tuple(b for b in bounds if b is not None)
        if len(known) != len(bounds):
            return None
        return next((str(n) for n in numbers_in(text) if keep(n, known)), None)

    return run


def _email(text: str, args: tuple[str, ...]) -> str | None:
    found = _EMAIL.search(text)
    return found.group(0) if found else None


def _phone(text: str, args: tuple[str, ...]) -> str | None:
    region = args[0].upper() if args and args[0] else None
    for match in phonenumbers.PhoneNumberMatcher(text, region):
        if phonenumbers.is_possible_number(match.number):
            return phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
    return None


def _pattern_error(args: tuple[str, ...]) -> str | None:
    try:
        re.compile(args[0])
    except re.error as exc:
        return f"not a regular expression: {exc}"
    return None


@dataclass(frozen=True)
class Test:
    run: Run
    arguments: tuple[int, int] = (1, 1)  # how many: at least, at most
    numbers: int = 0  # how many of them are numbers
    check_more: Callable[[tuple[str, ...]], str | None] | None = None

    def check(self, args: tuple[str, ...]) -> str | None:
        """Why these arguments cannot be used, or None."""
        least, most = self.arguments
        if not least <= len(args) <= most:
            return (
                f"takes {least} to {most} arguments"
                if least != most
                else (f"takes {least} argument{'s' if least != 1 else ''}")
            )
        if any(number(a) is None for a in args[: self.numbers]):
            return "takes numbers"
        return self.check_more(args) if self.check_more else None


def _between(n: Decimal, b: tuple[Decimal, ...]) -> bool:
    return b[0] <= n <= b[1]


TESTS: dict[str, Test] = {
    "has_any_word": Test(_any_word),
    "has_all_words": Test(_all_words),
    "has_phrase": Test(_phrase),
    "has_only_phrase": Test(_only_phrase),
    "has_beginning": Test(_beginning),
    "has_text": Test(_text, (0, 0)),
    "has_pattern": Test(_pattern, check_more=_pattern_error),
    "has_number": Test(_number_test(lambda n, b: True), (0, 0)),
    "has_number_between": Test(_number_test(_between), (2, 2), 2),
    "has_number_lt": Test(_number_test(lambda n, b: n < b[0]), numbers=1),
    "has_number_lte": Test(_number_test(lambda n, b: n <= b[0]), numbers=1),
    "has_number_eq": Test(_number_test(lambda n, b: n == b[0]), numbers=1),
    "has_number_gte": Test(_number_test(lambda n, b: n >= b[0]), numbers=1),
    "has_number_gt": Test(_number_test(lambda n, b: n > b[0]), numbers=1),
    "has_email": Test(_email, (0, 0)),
    "has_phone": Test(_phone, (0, 1)),
    "has_group": Test(lambda text, args: None, (1, 2)),  # read by the engine
}
