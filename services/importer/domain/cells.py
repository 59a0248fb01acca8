"""Cell rules: what a spreadsheet cell means once the spreadsheet's habits are undone.

- A blank cell leaves the value unchanged (absent); `--` clears it (RapidPro).
- Invisible Unicode (zero-width spaces, direction marks, BOMs, soft hyphens) is stripped and
  non-breaking spaces become spaces: they come with copy-paste and break phones and keys.
- Numbers Excel turned into floats (`254712345678.0`) or scientific notation
  (`2.50788383383E+11`) are written back as the integers they were.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation

CLEAR = "--"
_NEUTRALIZED = ("=", "+", "-", "@")
_INVISIBLE = re.compile("[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
_SCIENTIFIC = re.compile(r"^\+?\d(?:[.,]\d+)?[eE]\+?\d{1,2}$")
_FLOAT_INTEGER = re.compile(r"^(\+?\d+)[.,]0+$")
_TRUE = {"true", "yes", "y", "1", "t", "opted_in", "opt_in", "x"}
_FALSE = {"false", "no", "n", "0", "f", "opted_out"}


def cell_text(raw: object) -> str:
    """The text of a cell as a reader returns it (text, number, boolean, date), cleaned."""
    if raw is None:
        return ""
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, float):
        return _float_text(raw)
    if isinstance(raw, int):
        return str(raw)
    if isinstance(raw, datetime | date | time):
        return raw.isoformat()
    text = _INVISIBLE.sub("", str(raw)).replace("\u00a0", " ").strip()
    if text.startswith("'") and text[1:2] in _NEUTRALIZED:
        text = text[1:]  # written by our own exports and error reports to keep it text
    return text


def _float_text(value: float) -> str:
    if value.is_integer() and abs(value) < 1e17:
        return str(int(value))
    return repr(value)


def recover_number(text: str) -> str:
    """A phone Excel mangled into `2.50788383383E+11` or `254712345678.0` as digits again."""
    compact = text.replace(" ", "")
    if _SCIENTIFIC.match(compact):
        try:
            number = Decimal(compact.replace(",", "."))
        except InvalidOperation:
            return text
        if number == number.to_integral_value():
            return ("+" if compact.startswith("+") else "") + str(int(number))
        return text
    match = _FLOAT_INTEGER.match(compact)
    return match.group(1) if match else text


def parse_flag(text: str) -> bool | None:
    """A yes/no cell (opt-in, RapidPro group columns); a date means yes (Glific's opt_in);
    None when it says neither."""
    value = text.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    if re.match(r"^\d{4}-\d{2}-\d{2}", value):
        return True
    return None


def split_names(text: str) -> list[str]:
    """Comma-separated group names, trimmed, empty ones dropped, duplicates once."""
    return list(dict.fromkeys(name.strip() for name in text.split(",") if name.strip()))
