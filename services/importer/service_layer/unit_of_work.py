"""What the importer's handlers work with: its own storage, the uploaded files, its projection
of organisations (as ports), the clock, ids and the limits."""

from __future__ import annotations

from dataclasses import dataclass, field

from services.importer.service_layer.ports import (
    FileStore,
    ImportRepository,
    OrgDirectory,
)
from shared.clock import Clock, utc_now
from shared.ids import IdFactory, new_uuid


@dataclass
class ImportsUnitOfWork:
    imports: ImportRepository
    files: FileStore
    directory: OrgDirectory
    batch_rows: int = 1000
    max_rows: int = 1_000_000
    max_in_flight: int = 4  # batches sent and not yet answered by the contacts service
    # Batches not done yet, whichever service they wait for. The contacts service may run only
    # this far ahead of the groups service: further ahead, the import's member commands reach
    # the groups service before its contacts' `ContactCreated`, and each such member costs a
    # placeholder and an update there (355 batches behind in a million-row run without it).
    max_unfinished: int = 12
    # The first batch naming groups is answered by both services before the next is sent, so
    # that the contacts service knows the groups it created and creates the rest in them.
    first_batch_alone: bool = True
    clock: Clock = utc_now
    new_id: IdFactory = field(default=new_uuid)
