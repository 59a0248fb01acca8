"""What the importer refuses, each with the machine-readable code clients see."""

from __future__ import annotations

from shared.errors import DomainError


class ImportReportDeleted(DomainError):
    """The import's error report was kept for the retention period after the import ended
    (`ROSTER_IMPORT_REPORT_RETENTION_DAYS`), then deleted."""

    code = "import_report_deleted"
    status = 410


class InvalidMapping(DomainError):
    code = "invalid_mapping"


class InvalidImport(DomainError):
    code = "invalid_import"


class UnreadableFile(DomainError):
    """Damaged or not a spreadsheet at all: a broken zip, a workbook missing a part, invalid
    XML, binary data where text was expected."""

    code = "unreadable_file"


class FileTooLarge(DomainError):
    code = "file_too_large"
    status = 413


# A file within the upload size can still be built to exhaust the importer once unpacked or
# parsed; each bound it crosses has its own code (all 422, the file is refused before it
# becomes a job).


class WorkbookTooLarge(DomainError):
    """The workbook unpacks to more than the importer reads, or has too many parts."""

    code = "workbook_too_large"


class CompressionRatioTooHigh(DomainError):
    """A part unpacks to far more than any spreadsheet compresses to: a zip bomb."""

    code = "compression_ratio_too_high"


class SharedStringsTooLarge(DomainError):
    code = "shared_strings_too_large"


class UnsafeXml(DomainError):
    """A DTD or entity declaration: what entity expansion (billion laughs) and external
    entity (XXE) attacks need, and what no spreadsheet application writes."""

    code = "unsafe_xml"


class XmlTooDeep(DomainError):
    code = "xml_too_deep"


class XmlTokenTooLong(DomainError):
    """One tag, attribute or comment longer than any workbook writes: the parser would have
    to hold it whole."""

    code = "xml_token_too_long"


class TooManyRows(DomainError):
    code = "too_many_rows"


class TooManyColumns(DomainError):
    code = "too_many_columns"


class CellTooLong(DomainError):
    code = "cell_too_long"


class RowTooLong(DomainError):
    code = "row_too_long"


class ImportNotFound(DomainError):
    code = "not_found"
    status = 404


class ImportFinished(DomainError):
    code = "import_finished"
    status = 409
