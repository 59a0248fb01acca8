"""OrganizationUpdated and FieldDefined / FieldChanged / FieldDeleted into the importer's
directory of organisations: what previews and validation use to normalize phones and to tell
new fields from known ones. Events are applied by sequence, so a late, stale one is ignored."""

from __future__ import annotations

import pytest

from services.importer.domain.commands import PreviewImport
from services.importer.domain.job import ImportOptions
from services.importer.domain.organization import OrgView
from shared.contracts.envelope import EventPayload
from shared.contracts.organizations import OrganizationUpdated
from shared.messagebus import UnprocessableMessage
from tests.fakes.importer import ADMIN, ORG, T0, FakeImporter, csv_file
from tests.support.events import field_changed, field_defined, field_deleted
from tests.support.messages import received


def settings(default_country: str | None) -> OrganizationUpdated:
    return OrganizationUpdated(
        org_id=ORG,
        name="Demo",
        default_country=default_country,
        default_language=None,
        timezone="Africa/Nairobi",
        changed=["default_country"],
        updated_at=T0,
    )


async def deliver(importer: FakeImporter, *events: tuple[EventPayload, int]) -> None:
    for payload, sequence in events:
        await importer.bus.handle(received(payload, ORG, sequence=sequence))


async def directory(importer: FakeImporter) -> OrgView:
    return await importer.uow.directory.get(ORG)


async def test_the_organisations_default_country_is_kept(importer: FakeImporter) -> None:
    await deliver(importer, (settings("KE"), 1), (settings("UG"), 2))

    assert (await directory(importer)).default_country == "UG"


async def test_stale_settings_are_ignored(importer: FakeImporter) -> None:
    await deliver(importer, (settings("UG"), 2), (settings("KE"), 1))

    assert (await directory(importer)).default_country == "UG"


async def test_a_cleared_default_country_is_cleared(importer: FakeImporter) -> None:
    await deliver(importer, (settings("KE"), 1), (settings(None), 2))

    assert (await directory(importer)).default_country is None


async def test_fields_are_defined_changed_and_deleted(importer: FakeImporter) -> None:
    await deliver(
        importer,
        (field_defined("age", "text"), 1),
        (field_defined("district", "district"), 1),
        (field_changed("age", "number", "text"), 2),
        (field_deleted("district"), 2),
    )

    assert (await directory(importer)).fields == {"age": "number"}


async def test_stale_field_events_are_ignored_per_field(importer: FakeImporter) -> None:
    await deliver(
        importer,
        (field_changed("age", "number", "text"), 3),
        (field_defined("age", "text"), 1),
        (field_deleted("age"), 2),
        (field_defined("ward", "ward"), 1),
    )

    assert (await directory(importer)).fields == {"age": "number", "ward": "ward"}


async def test_an_event_without_its_sequence_cannot_be_ordered(importer: FakeImporter) -> None:
    """Dead-lettered at once: applying it could overwrite a newer state."""
    with pytest.raises(UnprocessableMessage):
        await importer.bus.handle(received(settings("KE"), ORG, sequence=None))
    with pytest.raises(UnprocessableMessage):
        await importer.bus.handle(received(field_defined("age", "text"), ORG, sequence=None))

    assert await directory(importer) == OrgView()


async def test_previews_follow_the_directory(importer: FakeImporter) -> None:
    """A deleted field is new again; the organisation's country reads national numbers."""
    await deliver(importer, (settings("KE"), 1), (field_defined("age", "number"), 1))
    file = importer.upload(csv_file(("phone", "age"), ("0712 345 678", "30")))
    preview = PreviewImport(by=ADMIN, import_id=file, options=ImportOptions())
    before = await importer.bus.handle(preview)

    await deliver(importer, (field_deleted("age"), 2))
    after = await importer.bus.handle(preview)

    assert [r["phone"] for r in before["rows"]] == ["+254712345678"]
    assert (before["new_fields"], after["new_fields"]) == (
        {},
        {"age": {"label": "age", "type": "number"}},
    )
