"""Every test gets its own contacts service: the real bus over fresh in-memory fakes."""

from __future__ import annotations

import pytest

from tests.fakes.contacts import ContactsHarness, build_contacts_harness


@pytest.fixture
def service() -> ContactsHarness:
    return build_contacts_harness()
