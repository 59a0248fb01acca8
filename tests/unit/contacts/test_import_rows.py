"""ImportContactRows through the bus, as the importer sends it over Kafka: one outcome per row,
an answer that announces the batch's new contacts before itself, phones repeated in a file
failing on the later row, statuses an import may not undo, and a redelivered batch reporting
what it did the first time."""

from __future__ import annotations

from typing import Any

import pytest

from services.contacts.domain.model import ContactStatus
from services.contacts.service_layer.ports import MARKS_KEPT
from shared.contracts.contacts import (
    ContactCreated,
    ContactStatusChanged,
    ContactUpdated,
    FieldDefined,
)
from shared.contracts.imports import ContactRowsImported, ImportedRow, NewField, RowOutcome
from tests.fakes.contacts import (
    ORG,
    OTHER_ORG,
    ContactsHarness,
    build_contacts_harness,
    column,
    import_rows,
    imported_row,
    phone,
)
from tests.support.events import group_created, group_deleted, membership_changed


async def run_batch(
    service: ContactsHarness, *rows: ImportedRow, batch: int = 1, **options: Any
) -> list[RowOutcome]:
    """Sends one batch as the importer does and returns the outcomes of its reply."""
    await service.receive(import_rows(rows, batch=batch, **options), sequence=batch)
    return service.replies.last.reply.rows


def contact_of(row: RowOutcome) -> str:
    assert row.contact_id is not None, f"row {row.row} names no contact"
    return row.contact_id


def outcomes_of(rows: list[RowOutcome]) -> list[tuple[int, str, str | None]]:
    return [(r.row, r.outcome, r.code) for r in rows]


# --- new contacts and the reply ------------------------------------------------------------


async def test_new_rows_are_created_and_announced_before_the_reply(
    service: ContactsHarness,
) -> None:
    rows = await run_batch(
        service, imported_row(2, phone(1), name="Amina"), imported_row(3, phone(2)), opt_in=True
    )

    assert outcomes_of(rows) == [(2, "created", None), (3, "created", None)]
    ids = [r.contact_id for r in rows]
    assert all(ids)
    amina = await service.stored(contact_of(rows[0]))
    assert (amina.name, amina.phone, amina.status) == ("Amina", phone(1), ContactStatus.ACTIVE)
    assert (amina.opt_in.status, amina.opt_in.opt_in_method) == ("opted_in", "import")
    answer = service.replies.last
    assert (answer.reply.import_id, answer.reply.batch, answer.org_id) == ("import-1", 1, ORG)
    assert [e.contact_id for e in answer.announced if isinstance(e, ContactCreated)] == ids
    published = [(e.subject, e.payload.event_type) for e in service.outbox.entries]
    assert published == [
        (ids[0], "ContactCreated"),
        (ids[1], "ContactCreated"),
        ("import-1:1", "ContactRowsImported"),
    ]


async def test_new_rows_take_the_status_they_ask_for(service: ContactsHarness) -> None:
    rows = await run_batch(
        service,
        imported_row(2, phone(1), status="blocked"),
        imported_row(3, phone(2), status="stopped"),
        opt_in=True,
    )

    assert [(r.outcome, r.status, r.code) for r in rows] == [
        ("created", "blocked", None),
        ("created", "stopped", None),
    ]
    blocked, stopped = [await service.stored(contact_of(r)) for r in rows]
    assert blocked.opt_in.status == "unknown"
    assert (stopped.opt_in.status, stopped.opt_in.opt_out_method) == ("opted_out", "import")


async def test_the_imports_default_country_reads_national_numbers(
    service: ContactsHarness,
) -> None:
    await service.set_organization(default_country="KE")

    [row] = await run_batch(service, imported_row(2, "0803 123 4567"), default_country="NG")

    assert (await service.stored(contact_of(row))).phone == "+2348031234567"


async def test_another_organisations_contact_with_the_phone_is_not_touched(
    service: ContactsHarness,
) -> None:
    theirs = await service.create(phone(1), org_id=OTHER_ORG, name="Theirs")

    [row] = await run_batch(service, imported_row(2, phone(1), name="Ours"))

    assert row.outcome == "created" and row.contact_id != theirs.id
    assert (await service.stored(theirs.id, OTHER_ORG)).name == "Theirs"


# --- existing contacts ---------------------------------------------------------------------


async def test_upsert_updates_existing_contacts_and_reports_unchanged_ones(
    service: ContactsHarness,
) -> None:
    changed = await service.create(phone(1), name="Old", email="old@example.org")
    same = await service.create(phone(2), name="Same")

    rows = await run_batch(
        service,
        imported_row(2, phone(1), name="New", email=None),
        imported_row(3, phone(2), name="Same"),
    )

    assert [(r.outcome, r.contact_id) for r in rows] == [
        ("updated", changed.id),
        ("unchanged", same.id),
    ]
    stored = await service.stored(changed.id)
    assert (stored.name, stored.email) == ("New", None)
    update = service.published(changed.id)[-1]
    assert isinstance(update, ContactUpdated)
    assert (update.name, update.email) == ("New", None)
    assert service.outbox.sequences(changed.id) == [1, 2]
    assert service.outbox.kinds(same.id) == ["ContactCreated"]
    assert service.replies.last.announced == []


async def test_create_mode_skips_existing_contacts(service: ContactsHarness) -> None:
    existing = await service.create(phone(1), name="Old")

    [row] = await run_batch(service, imported_row(2, phone(1), name="New"), mode="create")

    assert (row.outcome, row.code, row.contact_id) == ("skipped", "contact_exists", existing.id)
    assert (row.column, row.value) == (column("phone"), phone(1))
    assert (await service.stored(existing.id)).name == "Old"


async def test_a_contact_changed_meanwhile_fails_its_row(service: ContactsHarness) -> None:
    existing = await service.create(phone(1), name="Old")
    service.renamed_meanwhile(existing.id, "Theirs")

    [row] = await run_batch(service, imported_row(2, phone(1), name="Ours"))

    assert (row.outcome, row.code) == ("failed", "invalid_value")
    assert (await service.stored(existing.id)).name == "Theirs"


# --- rows that fail ------------------------------------------------------------------------


async def test_a_bad_row_fails_alone_naming_its_column(service: ContactsHarness) -> None:
    rows = await run_batch(
        service,
        imported_row(2, "12ab"),
        imported_row(3, None, name="No phone"),
        imported_row(4, phone(1), email="not-an-email"),
        imported_row(5, phone(2), status="sleeping"),
        imported_row(6, phone(3), secondary_phone="12ab"),
        imported_row(7, phone(4), name="Fine"),
    )

    assert outcomes_of(rows) == [
        (2, "failed", "invalid_phone"),
        (3, "failed", "invalid_phone"),
        (4, "failed", "invalid_value"),
        (5, "failed", "invalid_value"),
        (6, "failed", "invalid_phone"),
        (7, "created", None),
    ]
    assert [r.column for r in rows[:1] + rows[2:]] == [
        column("phone"),
        column("email"),
        column("status"),
        column("secondary_phone"),
        None,
    ]
    assert rows[2].value == "not-an-email"
    assert await service.count_all() == 1


async def test_a_phone_repeated_in_a_batch_fails_on_the_later_row(
    service: ContactsHarness,
) -> None:
    rows = await run_batch(
        service,
        imported_row(2, phone(1), name="First"),
        imported_row(3, phone(1).replace("+", "00"), name="Second"),
    )

    assert outcomes_of(rows) == [(2, "created", None), (3, "failed", "duplicate_in_file")]
    assert "row 2" in (rows[1].message or "")
    assert (await service.stored(contact_of(rows[0]))).name == "First"
    assert await service.count_all() == 1


async def test_a_phone_repeated_in_a_batch_fails_even_where_the_first_row_wrote_nothing(
    service: ContactsHarness,
) -> None:
    """The earlier row skipped the existing contact, so no mark tells the later row apart: the
    batch itself does."""
    existing = await service.create(phone(1), name="Old")

    rows = await run_batch(
        service,
        imported_row(2, phone(1), name="First"),
        imported_row(3, phone(1), name="Second"),
        mode="create",
    )

    assert outcomes_of(rows) == [
        (2, "skipped", "contact_exists"),
        (3, "failed", "duplicate_in_file"),
    ]
    assert (await service.stored(existing.id)).name == "Old"


async def test_a_phone_an_earlier_batch_wrote_fails_on_the_later_row(
    service: ContactsHarness,
) -> None:
    await run_batch(service, imported_row(2, phone(1), name="First"), batch=1)

    [row] = await run_batch(service, imported_row(1002, phone(1), name="Second"), batch=2)

    assert (row.outcome, row.code) == ("failed", "duplicate_in_file")
    assert await service.count_all() == 1


async def test_a_phone_an_earlier_batch_left_unchanged_fails_on_the_later_row(
    service: ContactsHarness,
) -> None:
    await service.create(phone(1), name="Same")
    await run_batch(service, imported_row(2, phone(1), name="Same"), batch=1)

    [row] = await run_batch(service, imported_row(1002, phone(1), name="Other"), batch=2)

    assert (row.outcome, row.code) == ("failed", "duplicate_in_file")


async def test_fields_the_file_brings_are_defined_first(service: ContactsHarness) -> None:
    new = NewField(key="district", label="District", type="text")

    rows = await run_batch(
        service,
        imported_row(2, phone(1), fields={"district": "Kano"}),
        imported_row(3, phone(2), fields={"ward": "W1"}),
        create_fields=[new],
    )

    assert outcomes_of(rows) == [(2, "created", None), (3, "failed", "unknown_field")]
    assert rows[1].column == column("ward")
    assert (await service.stored(contact_of(rows[0]))).fields["district"].text == "Kano"
    assert isinstance(service.published(f"{ORG}:district")[0], FieldDefined)


async def test_a_field_beyond_the_limit_is_left_out_and_its_rows_fail() -> None:
    service = build_contacts_harness(max_fields=0)
    new = NewField(key="district", label="District", type="text")

    [row] = await run_batch(
        service, imported_row(2, phone(1), fields={"district": "Kano"}), create_fields=[new]
    )

    assert (row.outcome, row.code) == ("failed", "unknown_field")
    assert await service.fields.count(ORG) == 0


# --- statuses an import cannot undo --------------------------------------------------------


async def test_blocked_and_stopped_contacts_keep_their_status_and_consent(
    service: ContactsHarness,
) -> None:
    blocked = await service.create(phone(1))
    await service.set_status(blocked.id, "blocked")
    stopped = await service.create(phone(2), opt_in=True)
    await service.set_status(stopped.id, "stopped")

    rows = await run_batch(
        service,
        imported_row(2, phone(1), name="B", status="active"),
        imported_row(3, phone(2), name="S", status="active"),
        opt_in=True,
    )

    assert [(r.outcome, r.code, r.column) for r in rows] == [
        ("updated", "status_kept", column("status")),
        ("updated", "status_kept", column("status")),
    ]
    after_blocked, after_stopped = (
        await service.stored(blocked.id),
        await service.stored(stopped.id),
    )
    assert (after_blocked.name, after_blocked.status) == ("B", ContactStatus.BLOCKED)
    assert after_blocked.opt_in.status == "unknown"
    assert (after_stopped.status, after_stopped.opt_in.status) == (
        ContactStatus.STOPPED,
        "opted_out",
    )
    assert len(service.outbox.of_type(ContactStatusChanged)) == 2  # the two set up above


@pytest.mark.parametrize(
    ("status", "code"),
    [
        ("blocked", "contact_blocked"),
        ("stopped", "contact_stopped"),
        ("archived", "contact_archived"),
    ],
)
async def test_a_contact_out_of_groups_reach_is_noted(
    service: ContactsHarness, status: str, code: str
) -> None:
    contact = await service.create(phone(1))
    await service.set_status(contact.id, status)

    [row] = await run_batch(service, imported_row(2, phone(1), name="New"))

    assert (row.outcome, row.status, row.code) == ("updated", status, code)
    assert row.message


async def test_an_archived_contact_is_restored_when_its_row_asks(
    service: ContactsHarness,
) -> None:
    contact = await service.create(phone(1))
    await service.set_status(contact.id, "archived")

    [row] = await run_batch(service, imported_row(2, phone(1), status="active"))

    assert (row.outcome, row.status, row.code) == ("updated", "active", None)
    change = service.published(contact.id)[-1]
    assert isinstance(change, ContactStatusChanged)
    assert (change.from_status, change.to_status, change.actor) == (
        "archived",
        "active",
        "system:importer",
    )


# --- redelivery ----------------------------------------------------------------------------


async def test_a_redelivered_batch_reports_the_same_and_announces_its_new_contacts_again(
    service: ContactsHarness,
) -> None:
    existing = await service.create(phone(1), name="Old")
    same = await service.create(phone(2), name="Same")
    batch = (
        imported_row(2, phone(1), name="New"),
        imported_row(3, phone(2), name="Same"),
        imported_row(4, phone(3), name="Created"),
        imported_row(5, phone(3), name="Repeated"),
        imported_row(6, "12ab"),
    )
    first = await run_batch(service, *batch)
    service.replies.purge()  # the relay published the first reply

    again = await run_batch(service, *batch)

    assert again == first
    assert outcomes_of(again) == [
        (2, "updated", None),
        (3, "unchanged", None),
        (4, "created", None),
        (5, "failed", "duplicate_in_file"),
        (6, "failed", "invalid_phone"),
    ]
    assert await service.count_all() == 3
    assert (await service.stored(existing.id)).version == 2
    assert (await service.stored(same.id)).version == 1
    created_id = contact_of(first[2])
    [announced] = service.replies.last.announced
    assert isinstance(announced, ContactCreated)
    assert (announced.contact_id, announced.name) == (created_id, "Created")
    assert service.outbox.kinds(created_id) == ["ContactCreated"] * 2
    assert service.outbox.sequences(created_id) == [1, 1]


async def test_a_batch_redelivered_after_another_import_wrote_its_contacts_keeps_that_write(
    service: ContactsHarness,
) -> None:
    """Import A creates one contact and updates another; import B then updates both. A's
    batch, delivered again (a crash before its offset was committed), reports what it did the
    first time and takes nothing of B's back."""
    existing = await service.create(phone(1), name="Old")
    batch_a = (imported_row(2, phone(1), name="From A"), imported_row(3, phone(2), name="New A"))
    first = await run_batch(service, *batch_a, import_id="import-a")
    created = contact_of(first[1])
    await run_batch(
        service,
        imported_row(2, phone(1), name="From B"),
        imported_row(3, phone(2), name="From B too"),
        import_id="import-b",
    )
    versions = [(await service.stored(i)).version for i in (existing.id, created)]

    again = await run_batch(service, *batch_a, import_id="import-a")

    assert again == first
    assert outcomes_of(again) == [(2, "updated", None), (3, "created", None)]
    assert (await service.stored(existing.id)).name == "From B"
    assert (await service.stored(created)).name == "From B too"
    assert [(await service.stored(i)).version for i in (existing.id, created)] == versions


async def test_the_marks_of_the_latest_imports_are_kept(service: ContactsHarness) -> None:
    """A contact keeps the marks of the last `MARKS_KEPT` imports that wrote or saw it: the
    latest import's batch still answers as before; the oldest's no longer knows its row."""
    await service.create(phone(1), name="Old")
    answers = {}
    for n in range(MARKS_KEPT + 1):
        row = imported_row(2, phone(1), name=f"Name {n}")
        answers[n] = await run_batch(service, row, import_id=f"import-{n}")
    latest = MARKS_KEPT
    again = await run_batch(
        service, imported_row(2, phone(1), name=f"Name {latest}"), import_id=f"import-{latest}"
    )
    assert again == answers[latest]
    oldest = await run_batch(
        service, imported_row(2, phone(1), name="Name 0"), import_id="import-0"
    )
    assert outcomes_of(oldest) == [(2, "updated", None)]  # forgotten: applied as a new row


async def test_a_reply_waiting_for_the_relay_is_stored_once(service: ContactsHarness) -> None:
    batch = (imported_row(2, phone(1)),)
    await run_batch(service, *batch)

    await run_batch(service, *batch)

    assert len(service.replies.answers) == 2
    assert len(service.outbox.of_type(ContactRowsImported)) == 1
    assert len(service.outbox.of_type(ContactCreated)) == 1


async def test_a_redelivered_row_keeps_its_note(service: ContactsHarness) -> None:
    blocked = await service.create(phone(1))
    await service.set_status(blocked.id, "blocked")
    batch = (imported_row(2, phone(1), name="New", status="active"),)
    first = await run_batch(service, *batch)

    again = await run_batch(service, *batch)

    assert again == first


# --- the groups a new contact is created in --------------------------------------------------


def with_groups(row: ImportedRow, *names: str) -> ImportedRow:
    return row.model_copy(update={"groups": list(names)})


async def test_a_new_active_contact_is_created_in_the_manual_groups_its_row_names(
    service: ContactsHarness,
) -> None:
    await service.receive(group_created("group-1", "Nairobi Parents"), 1)
    await service.receive(group_created("group-2", "Adults", query="age > 17"), 1)
    await service.receive(group_created("group-3", "Gone"), 1)
    await service.receive(group_deleted("group-3"), 2)

    rows = await run_batch(
        service,
        with_groups(imported_row(2, phone(1)), " nairobi  PARENTS", "Adults", "Gone", "New one"),
        with_groups(imported_row(3, phone(2), status="blocked"), "Nairobi Parents"),
        imported_row(4, phone(3)),
    )

    assert [r.groups for r in rows] == [["group-1"], [], []]
    stored = [await service.stored(contact_of(r)) for r in rows]
    assert [c.groups for c in stored] == [["group-1"], [], []]
    created = [e for e in service.replies.last.announced if isinstance(e, ContactCreated)]
    assert [e.groups for e in created] == [["group-1"], [], []]


async def test_the_groups_event_for_a_contact_created_in_the_group_changes_nothing(
    service: ContactsHarness,
) -> None:
    await service.receive(group_created("group-1", "Parents"), 1)
    [row] = await run_batch(service, with_groups(imported_row(2, phone(1)), "Parents"))

    await service.receive(membership_changed("group-1", added=[contact_of(row)]), 2)
    assert (await service.stored(contact_of(row))).groups == ["group-1"]
    await service.receive(membership_changed("group-1", removed=[contact_of(row)]), 3)
    assert (await service.stored(contact_of(row))).groups == []


async def test_a_group_deleted_while_the_batch_was_applied_is_taken_out_again(
    service: ContactsHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    await service.receive(group_created("group-1", "Parents"), 1)
    await service.receive(group_created("group-2", "Teachers"), 1)
    read_before_deletion = await service.groups.entries(ORG)

    async def entries_read_before_the_deletion(org_id: str) -> list[Any]:
        return read_before_deletion

    monkeypatch.setattr(service.groups, "entries", entries_read_before_the_deletion)
    await service.receive(group_deleted("group-1"), 2)

    [row] = await run_batch(service, with_groups(imported_row(2, phone(1)), "Parents", "Teachers"))

    assert (await service.stored(contact_of(row))).groups == ["group-2"]
    created = [e for e in service.replies.last.announced if isinstance(e, ContactCreated)]
    assert [e.groups for e in created] == [["group-2"]]
