"""The dispatcher over in-memory fakes (`tests/fakes/dispatcher.py`), fresh for every test."""

from __future__ import annotations

import pytest

from tests.fakes.dispatcher import FakeDispatcher, build_fake_dispatcher


@pytest.fixture
def service() -> FakeDispatcher:
    return build_fake_dispatcher()
