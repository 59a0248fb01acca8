"""The importer over in-memory fakes, for tests that go through its bus."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakes.importer import FakeImporter, fake_importer


@pytest.fixture
def importer(tmp_path: Path) -> FakeImporter:
    """Batches of two rows, four in flight: a file of a few rows makes several batches."""
    return fake_importer(tmp_path)
