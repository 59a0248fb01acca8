"""One line of a file read through the column mapping: what the row asks of the contacts
service, or why the importer itself already knows it must fail."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from services.importer.domain.cells import CLEAR, cell_text, parse_flag, recover_number, split_names
from services.importer.domain.mapping import Column, ColumnMapping
from shared.contracts.imports import ImportedRow, RowOutcome
from shared.languages import iso639_3

_URN_PREFIXES = ("tel:", "whatsapp:")


@dataclass(frozen=True)
class RowFailure:
    row: int
    column: str | None
    value: str | None
    code: str
    message: str

    def outcome(self) -> RowOutcome:
        return RowOutcome(
            row=self.row,
            outcome="failed",
            code=self.code,
            column=self.column,
            value=self.value,
            message=self.message,
        )


def is_blank(cells: Sequence[object]) -> bool:
    return all(cell_text(c) == "" for c in cells)


def read_row(cells: Sequence[object], mapping: ColumnMapping, row: int) -> ImportedRow | RowFailure:
    """Blank cells are left out (unchanged); `--` becomes None (cleared)."""
    texts = [cell_text(c) for c in cells]
    if len(texts) > len(mapping.columns) and any(texts[len(mapping.columns) :]):
        return RowFailure(
            row, None, None, "extra_cells", "the row has more cells than the header has columns"
        )
    phone: str | None = None
    attributes: dict[str, str | None] = {}
    fields: dict[str, str | None] = {}
    groups: list[str] = []
    opt_in: bool | None = None
    status: str | None = None
    columns: dict[str, str] = {}
    for column in mapping.columns:
        text = texts[column.index] if column.index < len(texts) else ""
        if column.target == "ignore" or text == "":
            continue
        value: str | None = None if text == CLEAR else text
        if column.target == "phone":
            phone = _phone(value, column)
            columns["phone"] = column.header
        elif column.target == "language":
            language = iso639_3(value) if value is not None else None
            if value is not None and language is None:
                return _not_a_language(row, column, text)
            attributes["language"] = language
            columns["language"] = column.header
        elif column.target in ("name", "email", "category"):
            attributes[column.target] = value
            columns[column.target] = column.header
        elif column.target == "secondary_phone":
            attributes["secondary_phone"] = _phone(value, column)
            columns["secondary_phone"] = column.header
        elif column.target == "field":
            assert column.key is not None
            fields[column.key] = value
            columns[f"fields.{column.key}"] = column.header
        elif column.target == "groups" and value is not None:
            groups.extend(split_names(value))
        elif column.target == "group_flag" and value is not None:
            flag = parse_flag(value)
            if flag is None:
                return _not_a_flag(row, column, text)
            if flag and column.key:
                groups.append(column.key)
        elif column.target == "opt_in" and value is not None:
            opt_in = parse_flag(value)
            if opt_in is None:
                return _not_a_flag(row, column, text)
        elif column.target == "status" and value is not None:
            status = value.lower()
            columns["status"] = column.header
    whatsapp = [c for c in mapping.of("secondary_phone") if c.whatsapp]
    if not phone and whatsapp and attributes.get("secondary_phone"):
        # A RapidPro contact reachable on WhatsApp only: that number is its phone.
        phone = attributes.pop("secondary_phone")
        columns["phone"] = columns.pop("secondary_phone")
    if not phone:
        header = mapping.of("phone")[0].header
        return RowFailure(row, header, None, "missing_phone", "the row has no phone number")
    return ImportedRow(
        row=row,
        phone=phone,
        attributes=attributes,
        fields=fields,
        groups=list(dict.fromkeys(groups)),
        opt_in=opt_in,
        status=status,
        columns=columns,
    )


def _phone(value: str | None, column: Column) -> str | None:
    if value is None:
        return None
    text = value
    for prefix in _URN_PREFIXES:
        if text.lower().startswith(prefix):
            text = text[len(prefix) :]
    text = recover_number(text)
    if column.whatsapp and text.isdigit():
        text = "+" + text  # RapidPro writes WhatsApp URNs as international digits
    return text


def _not_a_flag(row: int, column: Column, text: str) -> RowFailure:
    return RowFailure(
        row, column.header, text, "invalid_value", f"{column.header} must be yes/no or true/false"
    )


def _not_a_language(row: int, column: Column, text: str) -> RowFailure:
    return RowFailure(
        row,
        column.header,
        text,
        "invalid_language",
        f"{column.header} must be a language: a name (English, Kiswahili) or a code (en, swa)",
    )
