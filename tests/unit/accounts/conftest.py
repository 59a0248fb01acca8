"""The accounts service over in-memory fakes, with one organisation and its admin."""

from __future__ import annotations

import pytest

from services.accounts.domain.commands import CreateOrganization
from tests.fakes.accounts import FakeAccounts, fake_accounts

ADMIN_EMAIL = "Amina@Example.org"
PASSWORD = "correct horse battery"


@pytest.fixture
async def accounts() -> FakeAccounts:
    made = fake_accounts()
    await made.bus.handle(CreateOrganization("acme", "Acme", ADMIN_EMAIL, "Amina", PASSWORD))
    return made
