"""What the parts of a workbook hold, read as `xml_parts` streams them: the shared strings
and the rows of a worksheet, each cell typed as openpyxl types it with `data_only` (cached
formula results; a number formatted as a date is a date, by openpyxl's own helpers)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime

from openpyxl.styles.numbers import builtin_format_code, is_date_format, is_timedelta_format
from openpyxl.utils.cell import column_index_from_string, range_boundaries
from openpyxl.utils.datetime import from_excel, from_ISO8601

from services.importer.adapters.shared_strings import SharedStrings
from services.importer.adapters.xml_parts import End, Start, XmlHandler
from services.importer.domain.errors import (
    CellTooLong,
    RowTooLong,
    SharedStringsTooLarge,
    TooManyColumns,
    TooManyRows,
)
from services.importer.domain.files import FileLimits

NUMBER, DATE, DURATION = 0, 1, 2
_MAX_FORMATS = 65_536  # Excel's own limit is 64,000 cell formats
_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")
_DIGITS = "0123456789"


def unescape(text: str) -> str:
    """OOXML writes characters XML cannot carry as `_xHHHH_` (`_x000D_`; `_x005F_` is _)."""
    if "_x" not in text:
        return text
    return _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), text)


class _Runs(XmlHandler):
    """Collects the text of `t` runs, not of phonetic guides (`rPh`), while `in_text` says
    they count, refusing a text longer than a cell may be as it streams."""

    def __init__(self, starts: dict[str, Start], ends: dict[str, End], max_chars: int) -> None:
        super().__init__(
            {**starts, "t": self._run_start, "rPh": self._phonetic_start},
            {**ends, "t": self._run_end, "rPh": self._phonetic_end},
        )
        self.max_chars = max_chars
        self.parts: list[str] = []
        self.length = 0
        self.collecting = False
        self.in_text = False
        self.phonetic = 0

    def begin(self) -> None:
        self.parts = []
        self.length = 0

    def text(self, data: str) -> None:
        if self.collecting:
            self.length += len(data)
            if self.length > self.max_chars:
                raise CellTooLong(
                    f"a cell has at most {self.max_chars:,} characters", limit=self.max_chars
                )
            self.parts.append(data)

    def _run_start(self, _: dict[str, str]) -> None:
        self.collecting = self.in_text and not self.phonetic

    def _run_end(self) -> None:
        self.collecting = False

    def _phonetic_start(self, _: dict[str, str]) -> None:
        self.phonetic += 1

    def _phonetic_end(self) -> None:
        self.phonetic -= 1


class StringsReader(_Runs):
    """Each string item (`si`) into the table, within the count and cell limits."""

    def __init__(self, strings: SharedStrings, limits: FileLimits) -> None:
        super().__init__({"si": self._item_start}, {"si": self._item_end}, limits.max_cell_chars)
        self.strings = strings
        self.max_strings = limits.max_shared_strings
        self.in_text = True

    def _item_start(self, _: dict[str, str]) -> None:
        self.begin()

    def _item_end(self) -> None:
        if len(self.strings) >= self.max_strings:
            raise SharedStringsTooLarge(
                f"a workbook has at most {self.max_strings:,} shared strings",
                limit=self.max_strings,
            )
        self.strings.add(unescape("".join(self.parts)))


class StylesReader(XmlHandler):
    """The number format of each cell format (`cellXfs`), to tell dates from numbers."""

    def __init__(self) -> None:
        super().__init__(
            {"numFmt": self._custom, "cellXfs": self._formats_start, "xf": self._format},
            {"cellXfs": self._formats_end},
        )
        self.custom: dict[int, str] = {}
        self.formats: list[int] = []
        self.in_formats = False

    def _custom(self, attrs: dict[str, str]) -> None:
        if len(self.custom) < _MAX_FORMATS:
            self.custom[int(attrs.get("numFmtId", "0"))] = attrs.get("formatCode", "")

    def _formats_start(self, _: dict[str, str]) -> None:
        self.in_formats = True

    def _formats_end(self) -> None:
        self.in_formats = False

    def _format(self, attrs: dict[str, str]) -> None:
        if self.in_formats and len(self.formats) < _MAX_FORMATS:
            self.formats.append(int(attrs.get("numFmtId", "0")))

    def kinds(self) -> bytes:
        """NUMBER, DATE or DURATION for each cell format, by index (a cell's `s`)."""
        return bytes(_kind(self.custom.get(i) or builtin_format_code(i)) for i in self.formats)


def _kind(code: str | None) -> int:
    if not code:
        return NUMBER
    if is_timedelta_format(code):
        return DURATION
    return DATE if is_date_format(code) else NUMBER


def _number(text: str) -> int | float | str:
    """As openpyxl casts a number cell; what is no number stays text."""
    try:
        return float(text) if any(c in text for c in ".eE") else int(text)
    except ValueError:
        return text.strip()


def _iso_date(text: str) -> object:
    try:
        return from_ISO8601(text.strip())
    except ValueError:
        return text.strip()


class SheetReader(_Runs):
    """Rows of `sheetData` as lists of typed values, at least as wide as the header, from
    the used range's first row and column (its `dimension`, as openpyxl). Each finished row
    waits in `ready`, with the count of empty rows before it, until `take`."""

    def __init__(
        self, strings: SharedStrings, styles: bytes, epoch: datetime, limits: FileLimits
    ) -> None:
        super().__init__(
            {
                "c": self._cell_start,
                "v": self._value_start,
                "is": self._inline_start,
                "row": self._row_start,
                "dimension": self._used_range,
            },
            {"c": self._cell_end, "v": self._run_end, "is": self._inline_end, "row": self._row_end},
            limits.max_cell_chars,
        )
        self.strings = strings
        self.styles = styles
        self.epoch = epoch
        self.limits = limits
        self.ready: list[tuple[int, list[object]]] = []
        self.first_row = 1
        self.first_column = 1
        self.emitted = 0  # the last row yielded, counted from the first
        self.width = 0  # the header's
        self.row = 0  # the sheet row being read
        self.cells: list[tuple[int, object]] = []
        self.row_chars = 0
        self.column = 0
        self.kind = "n"
        self.style: str | None = None
        self.has_value = False

    def take(self) -> Iterator[list[object]]:
        ready, self.ready = self.ready, []
        for empty, values in ready:
            for _ in range(empty):
                yield []
            yield values

    def _used_range(self, attrs: dict[str, str]) -> None:
        try:
            column, row, _, _ = range_boundaries(attrs.get("ref", "").split(":")[0])
        except (ValueError, TypeError):
            return
        self.first_column, self.first_row = column or 1, row or 1

    def _row_start(self, attrs: dict[str, str]) -> None:
        number = attrs.get("r")
        row = int(number) if number else 0
        self.row = row if row > self.row else self.row + 1
        self.cells = []
        self.row_chars = 0
        self.column = 0

    def _cell_start(self, attrs: dict[str, str]) -> None:
        ref = attrs.get("r")
        self.column = column_index_from_string(ref.rstrip(_DIGITS)) if ref else self.column + 1
        self.kind = attrs.get("t", "n")
        self.style = attrs.get("s")
        self.has_value = False
        self.begin()

    def _value_start(self, _: dict[str, str]) -> None:
        self.has_value = self.collecting = True

    def _inline_start(self, _: dict[str, str]) -> None:
        self.has_value = self.in_text = True

    def _inline_end(self) -> None:
        self.in_text = False

    def _cell_end(self) -> None:
        if not self.has_value or self.row < self.first_row:
            return
        text = "".join(self.parts)
        if self.kind == "inlineStr":
            value: object = unescape(text)
        elif not text:
            return
        else:
            value = self._typed(text)
        self._add(self.column - self.first_column + 1, value)

    def _typed(self, text: str) -> object:
        kind = self.kind
        if kind == "s":
            return self.strings[int(text)]
        if kind in ("str", "e"):
            return unescape(text)
        if kind == "b":
            return text.strip() in ("1", "true")
        if kind == "d":
            return _iso_date(text)
        number = _number(text)
        style = int(self.style) if self.style else 0
        format_kind = self.styles[style] if style < len(self.styles) else NUMBER
        if format_kind == NUMBER or isinstance(number, str):
            return number
        try:
            return from_excel(number, self.epoch, timedelta=format_kind == DURATION)
        except (OverflowError, ValueError):
            return number

    def _add(self, column: int, value: object) -> None:
        limits = self.limits
        if column < 1:
            return
        if column > limits.max_columns or len(self.cells) >= limits.max_columns:
            raise TooManyColumns(
                f"a file has at most {limits.max_columns:,} columns",
                row=self._file_row(),
                limit=limits.max_columns,
            )
        if isinstance(value, str):
            if len(value) > limits.max_cell_chars:
                raise CellTooLong(
                    f"a cell has at most {limits.max_cell_chars:,} characters",
                    row=self._file_row(),
                    limit=limits.max_cell_chars,
                )
            self.row_chars += len(value)
            if self.row_chars > limits.max_row_chars:
                raise RowTooLong(
                    f"a row has at most {limits.max_row_chars:,} characters",
                    row=self._file_row(),
                    limit=limits.max_row_chars,
                )
        self.cells.append((column, value))

    def _file_row(self) -> int:
        return self.row - self.first_row + 1

    def _row_end(self) -> None:
        if not self.cells:
            return
        row = self._file_row()
        if row > self.limits.max_rows + 1:
            raise TooManyRows(
                f"a file has at most {self.limits.max_rows:,} rows", limit=self.limits.max_rows
            )
        values: list[object] = [None] * max(self.width, *(column for column, _ in self.cells))
        for column, value in self.cells:
            values[column - 1] = value
        self.ready.append((row - self.emitted - 1, values))
        self.emitted = row
        self.width = self.width or len(values)
