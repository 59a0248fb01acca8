"""An import job as the importer's repository stores it, for tests that write its batches
straight into the store."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from services.importer.domain.job import ImportJob, ImportOptions


def new_job(
    job_id: str | None = None, org_id: str = "org", created_at: datetime | None = None
) -> ImportJob:
    """A queued job of a small CSV file (its own id unless one is given)."""
    return ImportJob(
        id=job_id or uuid.uuid4().hex,
        org_id=org_id,
        file_name="people.csv",
        file_format="csv",
        file_size=10,
        options=ImportOptions(),
        created_by="admin:tester",
        created_at=created_at or datetime.now(UTC),
    )
