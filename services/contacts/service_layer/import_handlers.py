"""The contacts side of a file import: one batch of rows from the importer, applied in a few
round trips, with one outcome per row.

Idempotent: each contact written by an import carries the mark of its row under the import's id
(`ImportMarks`), so a redelivered batch (after a crash anywhere) finds its own earlier work and
reports it as it was, even where another import wrote the contact since; a phone that an
earlier row of the same file already wrote is a duplicate within the file.

New contacts are inserted without their `ContactCreated` in their own outbox: the batch's
announcements are stored with its reply, in one document, and a redelivered batch announces
again the contacts its rows created (a crash between the insert and the reply loses nothing).

A new, active contact is created in the manual groups its row names that this service knows
(see `import_groups.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from services.contacts.domain.commands import ContactInput, DefineField
from services.contacts.domain.errors import DomainError, InvalidValue
from services.contacts.domain.model import Contact, ContactStatus, OptIn
from services.contacts.domain.organization import Organization
from services.contacts.service_layer.field_handlers import define_field
from services.contacts.service_layer.import_groups import (
    enter_groups,
    groups_entered,
    manual_groups_named,
)
from services.contacts.service_layer.ports import (
    ImportedChange,
    ImportMark,
    ImportMarks,
    ImportReplies,
)
from services.contacts.service_layer.unit_of_work import ContactsUnitOfWork
from services.contacts.service_layer.validation import validated_attributes
from shared.auth import Principal, Role
from shared.contactql.values import FieldType
from shared.contracts.imports import (
    ContactRowsImported,
    ImportContactRows,
    ImportedRow,
    RowOutcome,
)
from shared.messagebus import Received
from shared.phone import InvalidPhone, normalize_phone

IMPORT_METHOD = "import"
ACTOR = "system:importer"
# A file cannot take a contact out of these: unblocking or un-stopping needs a person.
STICKY = (ContactStatus.BLOCKED, ContactStatus.STOPPED)
NOT_MEMBERS = {
    ContactStatus.BLOCKED: "contact_blocked",
    ContactStatus.STOPPED: "contact_stopped",
    ContactStatus.ARCHIVED: "contact_archived",
}


@dataclass
class ImportedBatch:
    """One outcome per row, and the contacts the batch created: their `ContactCreated` events
    travel with the reply."""

    outcomes: list[RowOutcome]
    created: list[Contact]


@dataclass
class _Prepared:
    row: ImportedRow
    phone: str
    attributes: dict[str, Any]
    status: ContactStatus | None
    opt_in: bool


async def import_contact_rows(
    command: Received[ImportContactRows], uow: ContactsUnitOfWork, replies: ImportReplies
) -> None:
    """Applies the batch and answers it: one outcome per row, and the batch's new contacts
    announced before the answer."""
    cmd, org_id = command.payload, command.org_id
    imported = await apply_rows(cmd, org_id, uow)
    reply = ContactRowsImported(import_id=cmd.import_id, batch=cmd.batch, rows=imported.outcomes)
    await replies.answer(reply, org_id, imported.created)


async def apply_rows(cmd: ImportContactRows, org_id: str, uow: ContactsUnitOfWork) -> ImportedBatch:
    org = await uow.organizations.get_or_create(org_id)
    types = await _define_missing_fields(cmd, org_id, uow)
    country = cmd.default_country or org.default_country
    outcomes: dict[int, RowOutcome] = {}
    prepared: list[_Prepared] = []
    first_row_of: dict[str, int] = {}
    for row in cmd.rows:
        try:
            item = _prepare(row, cmd, org, country, types)
        except DomainError as exc:
            outcomes[row.row] = _failed(row, exc)
            continue
        if item.phone in first_row_of:
            outcomes[row.row] = _duplicate_in_file(row, item.phone, first_row_of[item.phone])
            continue
        first_row_of[item.phone] = row.row
        prepared.append(item)
    created: list[Contact] = []
    existing = await _create_new(cmd, org, prepared, uow, outcomes, created)
    if existing:
        await _apply_to_existing(cmd, org_id, existing, uow, outcomes, created)
    await enter_groups(org_id, created, uow)
    return ImportedBatch([outcomes[row.row] for row in cmd.rows], created)


async def _define_missing_fields(
    cmd: ImportContactRows, org_id: str, uow: ContactsUnitOfWork
) -> Mapping[str, FieldType]:
    """Fields the file brings, then the organisation's field types. A field that cannot be
    defined (limit reached, bad key) is left out: the rows that set it fail `unknown_field`."""
    if not any(row.fields for row in cmd.rows):
        return {}
    known = await uow.fields.types(org_id)
    missing = [new for new in cmd.create_fields if new.key not in known]
    if not missing:
        return known
    by = Principal(org_id=org_id, role=Role.ADMIN, subject=ACTOR)
    for new in missing:
        try:
            await define_field(DefineField(by=by, label=new.label, key=new.key, type=new.type), uow)
        except DomainError:  # defined meanwhile (DuplicateField), or refused: left out
            continue
    return await uow.fields.types(org_id)


def _prepare(
    row: ImportedRow,
    cmd: ImportContactRows,
    org: Organization,
    country: str | None,
    types: Mapping[str, FieldType],
) -> _Prepared:
    if not row.phone:
        raise InvalidPhone("the row has no phone number", reason="missing", value=row.phone)
    try:
        phone = normalize_phone(row.phone, country)
    except InvalidPhone as exc:
        exc.details.setdefault("field", "phone")
        raise
    present = set(row.attributes) | ({"fields"} if row.fields else set())
    data = ContactInput(
        name=row.attributes.get("name"),
        secondary_phone=row.attributes.get("secondary_phone"),
        email=row.attributes.get("email"),
        category=row.attributes.get("category"),
        language=row.attributes.get("language"),
        fields=dict(row.fields) if row.fields else None,
        present=frozenset(present),
    )
    if country != org.default_country:
        org = replace(org, default_country=country)
    try:
        attributes = validated_attributes(data, org, types)
    except InvalidPhone as exc:
        exc.details.setdefault("field", "secondary_phone")
        raise
    status: ContactStatus | None = None
    if row.status is not None:
        try:
            status = ContactStatus(row.status)
        except ValueError:
            raise InvalidValue(
                f"unknown status {row.status!r}",
                field="status",
                allowed=[s.value for s in ContactStatus],
            ) from None
    return _Prepared(row, phone, attributes, status, opt_in=bool(cmd.opt_in or row.opt_in))


async def _create_new(
    cmd: ImportContactRows,
    org: Organization,
    prepared: list[_Prepared],
    uow: ContactsUnitOfWork,
    outcomes: dict[int, RowOutcome],
    created: list[Contact],
) -> list[_Prepared]:
    """Every row is first tried as a new contact (one insert for the batch); the unique phone
    index refuses those that exist, which are returned."""
    now = uow.clock()
    manual = await manual_groups_named(
        org.id, {n for item in prepared for n in item.row.groups}, uow
    )
    contacts: list[Contact] = []
    for item in prepared:
        attributes = {k: v for k, v in item.attributes.items() if v is not None}
        if "fields" in attributes:
            attributes["fields"] = {k: v for k, v in attributes["fields"].items() if v}
        attributes.setdefault("language", org.default_language)
        status = item.status or ContactStatus.ACTIVE
        method = IMPORT_METHOD if item.opt_in and status is ContactStatus.ACTIVE else None
        if status is not ContactStatus.ACTIVE:
            attributes["status"] = status
        if status is ContactStatus.STOPPED:
            attributes["opt_in"] = OptIn().opted_out(now, IMPORT_METHOD)
        contacts.append(
            Contact.create(
                id=uow.new_id(),
                org_id=org.id,
                phone=item.phone,
                now=now,
                attributes=attributes,
                opt_in_method=method,
                groups=groups_entered(item.row.groups, status, manual),
            )
        )
    marks = [_mark(cmd, item.row.row, "created") for item in prepared]
    refused = await uow.imports.add_many(contacts, marks)
    for position, (item, contact) in enumerate(zip(prepared, contacts, strict=True)):
        if position not in refused:
            outcomes[item.row.row] = _outcome(item.row, "created", contact)
            created.append(contact)
    return [prepared[position] for position in sorted(refused)]


async def _apply_to_existing(
    cmd: ImportContactRows,
    org_id: str,
    items: list[_Prepared],
    uow: ContactsUnitOfWork,
    outcomes: dict[int, RowOutcome],
    created: list[Contact],
) -> None:
    found = await uow.imports.find_for_import(org_id, [item.phone for item in items])
    now = uow.clock()
    changes: list[tuple[ImportedChange, _Prepared]] = []
    seen: list[tuple[str, ImportMark, ImportMarks]] = []
    for item in items:
        row = item.row
        entry = found.get(item.phone)
        if entry is None:  # deleted between the insert and this read
            outcomes[row.row] = _failed(row, InvalidValue("the contact changed meanwhile; retry"))
            continue
        contact, marks = entry
        mark = marks.get(cmd.import_id)
        if mark is not None:
            if mark.get("row") == row.row:  # this very row, delivered again
                outcomes[row.row] = _as_before(row, mark, contact)
                if mark["outcome"] == "created":  # its announcement may not be stored yet
                    created.append(contact)
                continue
            if int(mark.get("row", 0)) < row.row:
                outcomes[row.row] = _duplicate_in_file(row, item.phone, int(mark["row"]))
                continue
        if cmd.mode == "create":
            outcomes[row.row] = _skipped(row, contact)
            seen.append((contact.id, _mark(cmd, row.row, "skipped"), marks))
            continue
        read_version = contact.version
        try:
            note = _update(contact, item, now)
        except DomainError as exc:
            outcomes[row.row] = _failed(row, exc)
            continue
        outcome = "updated" if contact.events else "unchanged"
        mark = _mark(cmd, row.row, outcome, note)
        outcomes[row.row] = _outcome(row, outcome, contact, note)
        if contact.events:
            changes.append((ImportedChange(contact, read_version, mark, marks), item))
        else:
            seen.append((contact.id, mark, marks))
    # Rows that changed nothing leave their mark too: a later row of the file with the same
    # phone is then a duplicate, as it is within one batch, and a redelivery answers the same.
    await uow.imports.mark(org_id, seen)
    conflicts = await uow.imports.save_imported([change for change, _ in changes])
    for change, item in changes:
        if change.contact.id in conflicts:
            outcomes[item.row.row] = _failed(
                item.row, InvalidValue("the contact was changed meanwhile; import the row again")
            )


def _update(contact: Contact, item: _Prepared, now: Any) -> str | None:
    """Upsert of one existing contact. Blank cells left attributes out; `--` cleared them.
    Returns a note when the row could not do all it asked."""
    contact.update(dict(item.attributes), now, actor=ACTOR)
    note: str | None = None
    if item.status is not None and item.status is not contact.status:
        if contact.status in STICKY:
            note = "status_kept"
        else:
            contact.change_status(item.status, reason="import", actor=ACTOR, now=now)
    if item.opt_in:
        contact.opt_in_by(IMPORT_METHOD, now)
    return note


def _mark(cmd: ImportContactRows, row: int, outcome: str, note: str | None = None) -> ImportMark:
    mark: ImportMark = {"import_id": cmd.import_id, "row": row, "outcome": outcome}
    if note is not None:
        mark["note"] = note
    return mark


def _as_before(row: ImportedRow, mark: ImportMark, contact: Contact) -> RowOutcome:
    """A redelivered row's outcome, as its mark recorded it the first time."""
    if mark["outcome"] == "skipped":
        return _skipped(row, contact)
    return _outcome(row, mark["outcome"], contact, mark.get("note"))


def _skipped(row: ImportedRow, contact: Contact) -> RowOutcome:
    return RowOutcome(
        row=row.row,
        outcome="skipped",
        contact_id=contact.id,
        status=contact.status.value,
        code="contact_exists",
        column=row.columns.get("phone"),
        value=row.phone,
        message="a contact with this phone exists (mode create skips it)",
    )


_NOTES = {
    "contact_blocked": "the contact is blocked: updated, but not opted in nor added to groups",
    "contact_stopped": "the contact opted out: updated, but not opted in nor added to groups",
    "contact_archived": "the contact is archived: updated, but not added to groups",
    "status_kept": "a blocked or stopped contact's status is not changed by an import",
}


def _outcome(
    row: ImportedRow, outcome: str, contact: Contact, note: str | None = None
) -> RowOutcome:
    # A new contact's status is the one its row asked for: nothing to note.
    code = note or (None if outcome == "created" else NOT_MEMBERS.get(contact.status))
    return RowOutcome(
        row=row.row,
        outcome=outcome,
        contact_id=contact.id,
        status=contact.status.value,
        code=code,
        column=row.columns.get("status") if code == "status_kept" else None,
        message=_NOTES.get(code) if code else None,
        groups=list(contact.groups) if outcome == "created" else [],
    )


def _failed(row: ImportedRow, exc: DomainError) -> RowOutcome:
    field = exc.details.get("field")
    column = None
    if isinstance(field, str):
        column = row.columns.get(field) or row.columns.get(f"fields.{field}")
    value = exc.details.get("value")
    return RowOutcome(
        row=row.row,
        outcome="failed",
        code=exc.code,
        column=column,
        value=None if value is None else str(value),
        message=exc.message,
    )


def _duplicate_in_file(row: ImportedRow, phone: str, first_row: int) -> RowOutcome:
    return RowOutcome(
        row=row.row,
        outcome="failed",
        code="duplicate_in_file",
        column=row.columns.get("phone"),
        value=row.phone,
        message=f"row {first_row} of this file has the same phone ({phone})",
    )
