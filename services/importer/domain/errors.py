"""What the importer refuses, each with the machine-readable code clients see."""

from __future__ import annotations

from shared.errors import DomainError


class InvalidMapping(DomainError):
    code = "invalid_mapping"


class InvalidImport(DomainError):
    code = "invalid_import"


class UnreadableFile(DomainError):
    code = "unreadable_file"


class FileTooLarge(DomainError):
    code = "file_too_large"
    status = 413


class ImportNotFound(DomainError):
    code = "not_found"
    status = 404


class ImportFinished(DomainError):
    code = "import_finished"
    status = 409
