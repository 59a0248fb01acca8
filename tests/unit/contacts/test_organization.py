"""UpdateOrganization through the bus: settings are checked, only real changes are stored and
announced, and the next contacts are read with them."""

from __future__ import annotations

from typing import Any

import pytest

from services.contacts.domain.commands import UpdateOrganization
from services.contacts.domain.errors import InvalidValue
from services.contacts.domain.organization import Organization
from shared.contracts.organizations import OrganizationUpdated
from tests.fakes.contacts import ORG, ContactsHarness, principal


async def update_organization(service: ContactsHarness, **changes: Any) -> Organization:
    org: Organization = await service.bus.handle(
        UpdateOrganization(by=principal(), changes=changes)
    )
    return org


async def test_settings_are_stored_cleaned_and_announced(service: ContactsHarness) -> None:
    await update_organization(
        service, name=" Kano Health ", default_country="ng", timezone="Africa/Lagos"
    )

    stored = await service.organizations.get_or_create(ORG)
    assert (stored.name, stored.default_country, stored.timezone) == (
        "Kano Health",
        "NG",
        "Africa/Lagos",
    )
    assert stored.version == 1
    [updated] = service.published(ORG)
    assert isinstance(updated, OrganizationUpdated)
    assert updated.changed == ["name", "default_country", "timezone"]
    assert updated.default_country == "NG"


async def test_settings_it_already_has_change_nothing(service: ContactsHarness) -> None:
    await update_organization(service, default_country="KE")

    await update_organization(service, default_country="ke", timezone="UTC")

    assert (await service.organizations.get_or_create(ORG)).version == 1
    assert len(service.published(ORG)) == 1


@pytest.mark.parametrize(
    "changes",
    [
        {"default_country": "XX"},
        {"timezone": "Mars/Olympus"},
        {"default_language": "123"},
        {"colour": "blue"},
    ],
)
async def test_an_invalid_setting_is_refused_and_nothing_changes(
    service: ContactsHarness, changes: dict[str, Any]
) -> None:
    with pytest.raises(InvalidValue):
        await update_organization(service, name="Renamed", **changes)

    assert (await service.organizations.get_or_create(ORG)).name is None
    assert service.published(ORG) == []


async def test_the_default_country_reads_the_next_contacts_phones(
    service: ContactsHarness,
) -> None:
    await update_organization(service, default_country="NG")

    contact = await service.create("0803 123 4567")

    assert contact.phone == "+2348031234567"
