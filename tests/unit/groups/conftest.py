"""The groups service over in-memory fakes (`tests/fakes/groups.py`), fresh for every test."""

from __future__ import annotations

import pytest

from tests.fakes.groups import FakeGroupsService, build_fake_groups


@pytest.fixture
def service() -> FakeGroupsService:
    return build_fake_groups()
