"""What the importer's handlers work with: its own storage, the uploaded files, its projection
of organisations, the clock, and the limits."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from services.importer.adapters.file_store import FileStore
from services.importer.adapters.import_repository import ImportRepository
from services.importer.adapters.org_directory import OrgDirectory
from shared.clock import utc_now


@dataclass
class ImportsUnitOfWork:
    imports: ImportRepository
    files: FileStore
    directory: OrgDirectory
    batch_rows: int = 1000
    max_rows: int = 1_000_000
    max_in_flight: int = 4  # batches sent and not yet answered by the contacts service
    clock: Callable[[], datetime] = utc_now
    new_id: Callable[[], str] = field(default=lambda: str(uuid.uuid4()))
