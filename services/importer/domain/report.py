"""The per-row report of an import: one entry per row and part (a row may fail in the file and
be refused by a group besides), keyed so that recording it twice keeps one."""

from __future__ import annotations


def report_id(import_id: str, row: int, part: str) -> str:
    """A row may have several entries (failed in the file, refused by a group): one each."""
    return f"{import_id}:{row:09d}:{part}"
