"""Organisation settings and custom field definitions, projected to read queries as the contacts
service does; each ordered by its own sequence, older events dropped."""

from __future__ import annotations

import pytest

from shared.contactql.errors import QueryError
from shared.contactql.values import FieldType
from shared.contracts.organization_copy import OrganizationSettings
from tests.fakes.groups import (
    ORG,
    OTHER_ORG,
    FakeGroupsService,
    field_changed,
    field_defined,
    field_deleted,
    organization_updated,
)


async def test_settings_are_projected_and_older_ones_ignored(service: FakeGroupsService) -> None:
    await service.receive(organization_updated("Africa/Nairobi", "KE"), sequence=2)
    await service.receive(organization_updated("UTC", None), sequence=1)
    await service.receive(organization_updated("UTC", None), sequence=2)

    assert await service.organizations.get(ORG) == OrganizationSettings(
        timezone="Africa/Nairobi", default_country="KE", default_language="eng"
    )
    assert await service.organizations.get(OTHER_ORG) == OrganizationSettings()


async def test_a_field_follows_its_definition_and_older_events_are_ignored(
    service: FakeGroupsService,
) -> None:
    await service.receive(field_defined("age", "text"), sequence=1)
    await service.receive(field_defined("kids", "number"), sequence=1)
    assert (await service.organizations.get(ORG)).fields == {
        "age": FieldType.TEXT,
        "kids": FieldType.NUMBER,
    }

    await service.receive(field_changed("age", "number", "text"), sequence=2)
    await service.receive(field_defined("age", "text"), sequence=1)
    assert (await service.organizations.get(ORG)).fields["age"] is FieldType.NUMBER

    await service.receive(field_deleted("age"), sequence=3)
    await service.receive(field_changed("age", "number", "text"), sequence=2)
    assert (await service.organizations.get(ORG)).fields == {"kids": FieldType.NUMBER}

    await service.receive(field_defined("age", "boolean"), sequence=4)  # defined again
    assert (await service.organizations.get(ORG)).fields["age"] is FieldType.BOOLEAN


async def test_a_field_type_decides_what_a_query_may_ask(service: FakeGroupsService) -> None:
    await service.receive(field_defined("age", "text"), sequence=1)
    with pytest.raises(QueryError) as refused:
        await service.create_group("Adults", query="age > 18")
    assert refused.value.code == "unsupported_comparison"

    await service.receive(field_changed("age", "number", "text"), sequence=2)
    group = await service.create_group("Adults", query="age > 18")

    assert group.query == "age > 18"


async def test_fields_are_per_organisation(service: FakeGroupsService) -> None:
    await service.receive(field_defined("age", "number"), sequence=1, org_id=OTHER_ORG)

    with pytest.raises(QueryError):
        await service.create_group("Adults", query="age > 18")
