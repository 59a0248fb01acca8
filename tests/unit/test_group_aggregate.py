"""Rules of the Group aggregate, the groups service's contact projection and member exports.

Pure domain code: no I/O, no infrastructure.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from services.groups.domain.errors import InvalidGroup, SmartGroupMembership
from services.groups.domain.export import STANDARD_COLUMNS, header, row
from services.groups.domain.member import MemberContact, follow, refusal
from services.groups.domain.model import (
    MAX_NAME,
    Group,
    GroupType,
    SmartStatus,
    clean_name,
)
from shared.auth import Principal, Role
from shared.contactql.evaluate import matches
from shared.contactql.resolve import QueryContext, parse_query
from shared.contactql.values import FieldType, FieldValue
from shared.contracts.contacts import (
    ContactAnonymized,
    ContactCreated,
    ContactDeleted,
    ContactStatusChanged,
    ContactStatusName,
    ContactUpdated,
    FieldValueRecord,
    OptInRecord,
)
from shared.contracts.groups import (
    MAX_MEMBERSHIP_BATCH,
    GroupCreated,
    GroupDeleted,
    GroupMembershipChanged,
    GroupUpdated,
)
from shared.contracts.groups import group_name_key as name_key
from shared.http.spreadsheets import neutralize

T0 = datetime(2026, 1, 1, tzinfo=UTC)
T1 = T0 + timedelta(hours=1)
T2 = T0 + timedelta(hours=2)


def manual_group(**overrides: Any) -> Group:
    attrs: dict[str, Any] = {
        "id": "g1",
        "org_id": "o1",
        "name": "Farmers",
        "type": GroupType.MANUAL,
        "description": None,
        "query": None,
        "blacklisted": False,
        "staff": [],
        "now": T0,
    }
    attrs.update(overrides)
    return Group.create(**attrs)


def smart_group(**overrides: Any) -> Group:
    attrs: dict[str, Any] = {"type": GroupType.SMART, "query": "age >= 18", "name": "Adults"}
    attrs.update(overrides)
    return manual_group(**attrs)


# --- names -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("Farmers", "Farmers"),
        ("  Farmers  ", "Farmers"),
        ("Maize   farmers\tof\n Kisumu", "Maize farmers of Kisumu"),
        ("\u00a0Nurses\u00a0 North ", "Nurses North"),
    ],
)
def test_names_are_trimmed_and_inner_whitespace_collapsed(given: str, expected: str) -> None:
    assert clean_name(given) == expected


def test_a_name_has_at_most_64_characters_after_cleaning() -> None:
    assert MAX_NAME == 64
    longest = "x" * 64
    assert clean_name(longest) == longest
    # Surrounding/inner whitespace does not count: it is cleaned first.
    assert clean_name("   " + "a" * 32 + "     " + "b" * 31 + "  ") == "a" * 32 + " " + "b" * 31
    with pytest.raises(InvalidGroup) as raised:
        clean_name("x" * 65)
    assert raised.value.details == {"field": "name"}
    assert raised.value.code == "invalid_group"


@pytest.mark.parametrize("blank", ["", " ", "\t\n  ", "\u00a0"])
def test_an_empty_name_is_refused(blank: str) -> None:
    with pytest.raises(InvalidGroup) as raised:
        clean_name(blank)
    assert raised.value.details == {"field": "name"}


def test_create_cleans_the_name_and_refuses_a_bad_one() -> None:
    assert manual_group(name="  Maize   farmers ").name == "Maize farmers"
    with pytest.raises(InvalidGroup):
        manual_group(name="   ")
    with pytest.raises(InvalidGroup):
        manual_group(name="y" * 65)


def test_name_keys_ignore_case() -> None:
    assert name_key("Farmers") == name_key("FARMERS") == name_key("farmers")
    assert name_key("Straße") == name_key("STRASSE")
    assert name_key("Farmers") != name_key("Farmer")


# --- create ----------------------------------------------------------------------------------


def test_creating_a_manual_group_records_one_event_with_the_state() -> None:
    group = manual_group(
        description="  Those who grow maize  ",
        blacklisted=True,
        staff=[" u1 ", "u2", "u1", "", "  "],
    )
    assert group.version == 1
    assert group.created_at == group.updated_at == T0
    assert group.type is GroupType.MANUAL
    assert not group.is_smart
    assert group.smart_status is None
    assert group.description == "Those who grow maize"
    assert group.staff == ["u1", "u2"]
    assert group.deleted is False
    [(event, sequence)] = group.events
    assert sequence == 1
    assert isinstance(event, GroupCreated)
    assert event.model_dump() == {
        "group_id": "g1",
        "name": "Farmers",
        "description": "Those who grow maize",
        "type": "manual",
        "query": None,
        "blacklisted": True,
        "staff": ["u1", "u2"],
        "created_at": T0,
    }


def test_a_blank_description_is_none() -> None:
    assert manual_group(description="   ").description is None
    assert manual_group(description="").description is None


def test_a_description_has_at_most_1000_characters() -> None:
    assert manual_group(description="d" * 1000).description == "d" * 1000
    with pytest.raises(InvalidGroup) as raised:
        manual_group(description="d" * 1001)
    assert raised.value.details == {"field": "description"}


def test_creating_a_smart_group_starts_evaluating() -> None:
    group = smart_group()
    assert group.is_smart
    assert group.query == "age >= 18"
    assert group.smart_status is SmartStatus.EVALUATING
    assert group.smart_error is None
    [(event, sequence)] = group.events
    assert isinstance(event, GroupCreated)
    assert (event.type, event.query, sequence) == ("smart", "age >= 18", 1)


def test_a_smart_group_needs_a_query() -> None:
    with pytest.raises(InvalidGroup):
        smart_group(query=None)


def test_a_manual_group_has_no_query() -> None:
    with pytest.raises(InvalidGroup):
        manual_group(query="age >= 18")


def test_too_many_staff_are_refused() -> None:
    assert len(manual_group(staff=[f"u{i}" for i in range(1000)]).staff) == 1000
    # Duplicates are removed before counting.
    assert len(manual_group(staff=[f"u{i % 1000}" for i in range(1500)]).staff) == 1000
    with pytest.raises(InvalidGroup) as raised:
        manual_group(staff=[f"u{i}" for i in range(1001)])
    assert raised.value.details == {"field": "staff"}


# --- update ----------------------------------------------------------------------------------


def test_update_returns_only_the_attributes_that_really_changed() -> None:
    group = manual_group(description="Growers", staff=["u1"])
    group.events.clear()
    changed = group.update(
        {
            "name": "  Farmers ",  # the same once cleaned
            "description": "Maize growers",
            "blacklisted": False,  # unchanged
            "staff": ["u1", " u2 ", "u2"],
        },
        T1,
    )
    assert changed == ["description", "staff"]
    assert group.version == 2
    assert group.updated_at == T1
    assert group.created_at == T0
    assert (group.name, group.description, group.staff) == (
        "Farmers",
        "Maize growers",
        ["u1", "u2"],
    )
    [(event, sequence)] = group.events
    assert sequence == 2
    assert isinstance(event, GroupUpdated)
    assert event.model_dump() == {
        "group_id": "g1",
        "name": "Farmers",
        "description": "Maize growers",
        "type": "manual",
        "query": None,
        "blacklisted": False,
        "staff": ["u1", "u2"],
        "changed": ["description", "staff"],
        "updated_at": T1,
    }


def test_changed_attributes_follow_the_editable_order() -> None:
    group = manual_group()
    changed = group.update({"staff": ["u9"], "blacklisted": True, "name": "Growers"}, T1)
    assert changed == ["name", "blacklisted", "staff"]
    assert group.version == 2
    assert len(group.events) == 2


def test_an_update_that_changes_nothing_records_nothing() -> None:
    group = manual_group(description="Growers", staff=["u1", "u2"])
    group.events.clear()
    changed = group.update(
        {"name": "Farmers ", "description": " Growers", "staff": ["u1", "u2 ", "u1"]}, T1
    )
    assert changed == []
    assert group.version == 1
    assert group.updated_at == T0
    assert group.events == []
    assert group.update({}, T1) == []
    assert group.version == 1


def test_update_cleans_and_validates_the_name() -> None:
    group = manual_group()
    assert group.update({"name": " Maize \t farmers "}, T1) == ["name"]
    assert group.name == "Maize farmers"
    with pytest.raises(InvalidGroup):
        group.update({"name": "  "}, T2)
    with pytest.raises(InvalidGroup):
        group.update({"name": "z" * 65}, T2)
    assert group.name == "Maize farmers"
    assert group.version == 2


def test_clearing_a_description_sets_none() -> None:
    group = manual_group(description="Growers")
    assert group.update({"description": "   "}, T1) == ["description"]
    assert group.description is None
    assert group.update({"description": None}, T2) == []


def test_staff_lists_are_trimmed_and_deduplicated_keeping_the_first_order() -> None:
    group = manual_group(staff=["u1"])
    assert group.update({"staff": [" u3", "u1 ", "u3", "", "   ", "u2"]}, T1) == ["staff"]
    assert group.staff == ["u3", "u1", "u2"]


def test_a_new_query_sends_a_smart_group_back_to_evaluating() -> None:
    group = smart_group()
    group.smart_status = SmartStatus.INVALID
    group.smart_error = {"code": "unknown_field", "property": "age"}
    group.events.clear()
    changed = group.update({"query": "age >= 21"}, T1)
    assert changed == ["query"]
    assert group.query == "age >= 21"
    assert group.smart_status is SmartStatus.EVALUATING
    assert group.smart_error is None
    assert group.version == 2
    [(event, sequence)] = group.events
    assert isinstance(event, GroupUpdated)
    assert (event.query, event.type, event.changed, sequence) == (
        "age >= 21",
        "smart",
        ["query"],
        2,
    )


def test_the_same_query_leaves_a_smart_group_as_it_is() -> None:
    group = smart_group()
    group.smart_status = SmartStatus.READY
    assert group.update({"query": "age >= 18"}, T1) == []
    assert group.smart_status is SmartStatus.READY
    assert group.version == 1


def test_a_rename_does_not_reevaluate_a_smart_group() -> None:
    group = smart_group()
    group.smart_status = SmartStatus.READY
    assert group.update({"name": "Grown-ups"}, T1) == ["name"]
    assert group.smart_status is SmartStatus.READY


def test_a_manual_group_cannot_get_a_query() -> None:
    group = manual_group()
    group.events.clear()
    with pytest.raises(InvalidGroup) as raised:
        group.update({"query": "age >= 18", "name": "Adults"}, T1)
    assert raised.value.details == {"field": "query"}
    assert (group.query, group.name, group.version, group.events) == (None, "Farmers", 1, [])


def test_a_smart_group_cannot_lose_its_query() -> None:
    group = smart_group()
    with pytest.raises(InvalidGroup) as raised:
        group.update({"query": None}, T1)
    assert raised.value.details == {"field": "query"}
    assert group.query == "age >= 18"
    assert group.version == 1


# --- delete ----------------------------------------------------------------------------------


def test_delete_records_group_deleted_with_the_next_version() -> None:
    group = manual_group()
    group.update({"name": "Growers"}, T1)
    group.events.clear()
    group.delete(T2)
    assert group.deleted is True
    assert group.version == 3
    assert group.updated_at == T2
    [(event, sequence)] = group.events
    assert isinstance(event, GroupDeleted)
    assert event.model_dump() == {"group_id": "g1", "deleted_at": T2}
    assert sequence == 3


# --- membership ------------------------------------------------------------------------------


def test_membership_changes_are_split_into_batches_with_consecutive_sequences() -> None:
    group = manual_group()
    group.events.clear()
    added = [f"a{i}" for i in range(2500)]
    removed = [f"r{i}" for i in range(1200)]
    group.change_membership(added=added, removed=removed, reason="manual", actor="admin:u1", now=T1)
    assert MAX_MEMBERSHIP_BATCH == 1000
    assert len(group.events) == 5
    assert [sequence for _, sequence in group.events] == [2, 3, 4, 5, 6]
    assert group.version == 6
    assert group.updated_at == T1
    events = [event for event, _ in group.events]
    assert all(isinstance(e, GroupMembershipChanged) for e in events)
    changes = [e for e in events if isinstance(e, GroupMembershipChanged)]
    assert [len(e.added) for e in changes] == [1000, 1000, 500, 0, 0]
    assert [len(e.removed) for e in changes] == [0, 0, 0, 1000, 200]
    assert all(
        len(e.added) <= MAX_MEMBERSHIP_BATCH and len(e.removed) <= MAX_MEMBERSHIP_BATCH
        for e in changes
    )
    # Every id once, in the order given.
    assert [i for e in changes for i in e.added] == added
    assert [i for e in changes for i in e.removed] == removed
    assert changes[0].added[0] == "a0" and changes[2].added[-1] == "a2499"
    assert changes[3].removed[0] == "r0" and changes[4].removed[-1] == "r1199"
    for e in changes:
        assert (e.group_id, e.reason, e.actor, e.changed_at) == ("g1", "manual", "admin:u1", T1)


def test_an_exact_batch_is_one_event() -> None:
    group = smart_group()
    group.events.clear()
    ids = [f"c{i}" for i in range(MAX_MEMBERSHIP_BATCH)]
    group.change_membership(
        added=ids, removed=[], reason="smart_group", actor="system:groups", now=T1
    )
    [(event, sequence)] = group.events
    assert isinstance(event, GroupMembershipChanged)
    assert (event.added, event.removed, event.reason, event.actor) == (
        ids,
        [],
        "smart_group",
        "system:groups",
    )
    assert sequence == group.version == 2


def test_a_small_change_records_one_event_per_side() -> None:
    group = manual_group()
    group.events.clear()
    group.change_membership(
        added=["c1", "c2"], removed=("c3",), reason="contact_status", actor="system", now=T1
    )
    [(first, s1), (second, s2)] = group.events
    assert isinstance(first, GroupMembershipChanged)
    assert isinstance(second, GroupMembershipChanged)
    assert (first.added, first.removed, s1) == (["c1", "c2"], [], 2)
    assert (second.added, second.removed, s2) == ([], ["c3"], 3)
    assert first.reason == second.reason == "contact_status"


def test_an_empty_membership_change_records_nothing() -> None:
    group = manual_group()
    group.events.clear()
    group.change_membership(added=[], removed=[], reason="manual", actor="admin:u1", now=T1)
    assert group.events == []
    assert group.version == 1
    assert group.updated_at == T0


def test_membership_sequences_continue_after_settings_changes() -> None:
    group = manual_group()
    group.update({"blacklisted": True}, T1)
    group.change_membership(added=["c1"], removed=[], reason="query", actor="admin:u1", now=T2)
    group.delete(T2)
    assert [sequence for _, sequence in group.events] == [1, 2, 3, 4]
    assert [type(e).__name__ for e, _ in group.events] == [
        "GroupCreated",
        "GroupUpdated",
        "GroupMembershipChanged",
        "GroupDeleted",
    ]


def test_smart_groups_refuse_manual_membership() -> None:
    manual_group().check_manual_membership()  # no error
    group = smart_group(id="g7")
    with pytest.raises(SmartGroupMembership) as raised:
        group.check_manual_membership()
    assert raised.value.details == {"group_id": "g7"}
    assert raised.value.code == "smart_group_membership"
    assert raised.value.status == 409


# --- visibility ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "subject", "visible"),
    [
        (Role.ADMIN, "anyone", True),
        (Role.MANAGER, "anyone", True),
        (Role.STAFF, "u2", True),
        (Role.STAFF, "u3", False),
    ],
)
def test_visibility(role: Role, subject: str, visible: bool) -> None:
    group = manual_group(staff=["u1", "u2"])
    assert group.visible_to(Principal(org_id="o1", role=role, subject=subject)) is visible


def test_staff_see_no_group_without_staff() -> None:
    group = manual_group()
    assert not group.visible_to(Principal(org_id="o1", role=Role.STAFF, subject="u1"))
    assert group.visible_to(Principal(org_id="o1", role=Role.ADMIN, subject="u1"))


def test_visibility_follows_staff_changes() -> None:
    group = manual_group(staff=["u1"])
    staff = Principal(org_id="o1", role=Role.STAFF, subject="u2")
    assert not group.visible_to(staff)
    group.update({"staff": ["u1", " u2 "]}, T1)
    assert group.visible_to(staff)


# --- contact projection ----------------------------------------------------------------------


def record(text: str, type: str, value: bool | int | float | str) -> FieldValueRecord:
    return FieldValueRecord.model_validate({"text": text, "type": type, "value": value})


def created(**overrides: Any) -> ContactCreated:
    attrs: dict[str, Any] = {
        "contact_id": "c1",
        "name": "Amina",
        "phone": "+254712345678",
        "secondary_phone": None,
        "email": "amina@example.org",
        "category": "farmer",
        "language": "swa",
        "fields": {
            "age": record("17", "number", 17),
            "joined": record("2024-01-31", "datetime", "2024-01-31T00:00:00+00:00"),
            "member": record("yes", "boolean", True),
            "county": record("Kisumu", "state", "Kisumu"),
        },
        "status": "active",
        "opt_in": OptInRecord(),
        "created_at": T0,
    }
    attrs.update(overrides)
    return ContactCreated(**attrs)


def projected(sequence: int = 1, **overrides: Any) -> MemberContact:
    contact = follow(None, created(**overrides), "o1", sequence)
    assert contact is not None
    return contact


def test_refusal() -> None:
    assert refusal(None) == "unknown_contact"
    assert refusal(MemberContact(id="c1", org_id="o1", gone=True)) == "unknown_contact"
    assert refusal(MemberContact(id="c1", org_id="o1", status="blocked")) == "contact_blocked"
    assert refusal(MemberContact(id="c1", org_id="o1", status="stopped")) == "contact_stopped"
    assert refusal(MemberContact(id="c1", org_id="o1", status="archived")) == "contact_archived"
    assert refusal(MemberContact(id="c1", org_id="o1", status="active")) is None
    # Gone wins over the status it kept.
    assert refusal(MemberContact(id="c1", org_id="o1", status="blocked", gone=True)) == (
        "unknown_contact"
    )


def test_only_active_contacts_that_are_not_gone_can_be_members() -> None:
    assert MemberContact(id="c1", org_id="o1").can_be_member
    assert not MemberContact(id="c1", org_id="o1", status="stopped").can_be_member
    assert not MemberContact(id="c1", org_id="o1", gone=True).can_be_member


def test_created_builds_the_contact_with_typed_fields() -> None:
    contact = projected(sequence=4)
    assert (contact.id, contact.org_id, contact.version) == ("c1", "o1", 4)
    assert (contact.name, contact.phone, contact.secondary_phone) == (
        "Amina",
        "+254712345678",
        None,
    )
    assert (contact.email, contact.category, contact.language) == (
        "amina@example.org",
        "farmer",
        "swa",
    )
    assert contact.status == "active"
    assert contact.created_at == T0
    assert contact.last_seen_at is None
    assert contact.groups == []
    assert contact.gone is False
    assert contact.fields == {
        "age": FieldValue("17", FieldType.NUMBER, number=Decimal(17)),
        "joined": FieldValue("2024-01-31", FieldType.DATETIME, datetime=T0.replace(2024, 1, 31)),
        "member": FieldValue("yes", FieldType.BOOLEAN, boolean=True),
        "county": FieldValue("Kisumu", FieldType.STATE),
    }
    assert contact.fields["age"].value == Decimal(17)


def test_created_keeps_the_groups_already_known() -> None:
    before = MemberContact(id="c1", org_id="o1", groups=["g1", "g2"], version=0)
    contact = follow(before, created(), "o1", 1)
    assert contact is not None
    assert contact.groups == ["g1", "g2"]
    assert contact.groups is not before.groups
    assert contact.name == "Amina"


def test_an_update_before_the_creation_cannot_be_applied() -> None:
    update = ContactUpdated(contact_id="c1", name="Amina", updated_at=T1)
    assert follow(None, update, "o1", 2) is None
    status = ContactStatusChanged(
        contact_id="c1",
        from_status="active",
        to_status="blocked",
        reason=None,
        actor="admin:u1",
        opt_in=OptInRecord(),
        changed_at=T1,
    )
    assert follow(None, status, "o1", 2) is None
    assert follow(None, ContactDeleted(contact_id="c1", actor="a", deleted_at=T1), "o1", 2) is None


def test_an_update_applies_only_the_attributes_present() -> None:
    current = projected()
    update = ContactUpdated(contact_id="c1", name="Amina Otieno", email=None, updated_at=T1)
    contact = follow(current, update, "o1", 2)
    assert contact is not None
    assert contact.name == "Amina Otieno"
    assert contact.email is None  # present with null: cleared
    # Absent: left as they were.
    assert (contact.phone, contact.category, contact.language) == (
        "+254712345678",
        "farmer",
        "swa",
    )
    assert contact.fields == current.fields
    assert contact.version == 2
    # The previous state is not modified.
    assert (current.name, current.email, current.version) == ("Amina", "amina@example.org", 1)


def test_an_update_read_from_json_distinguishes_null_from_absent() -> None:
    current = projected()
    update = ContactUpdated.model_validate(
        {"contact_id": "c1", "category": None, "language": "eng", "updated_at": T1.isoformat()}
    )
    contact = follow(current, update, "o1", 2)
    assert contact is not None
    assert (contact.category, contact.language) == (None, "eng")
    assert (contact.name, contact.email) == ("Amina", "amina@example.org")


def test_an_update_sets_last_seen_only_when_present() -> None:
    current = projected()
    seen = follow(current, ContactUpdated(contact_id="c1", last_seen_at=T1, updated_at=T1), "o1", 2)
    assert seen is not None
    assert seen.last_seen_at == T1
    later = follow(seen, ContactUpdated(contact_id="c1", name="A", updated_at=T2), "o1", 3)
    assert later is not None
    assert later.last_seen_at == T1


def test_fields_are_merged_and_null_removes_a_key() -> None:
    current = projected()
    update = ContactUpdated(
        contact_id="c1",
        fields={
            "age": record("30", "number", 30),
            "member": None,
            "unknown": None,  # removing a key that is not there is harmless
            "village": record("Kanyakwar", "text", "Kanyakwar"),
        },
        updated_at=T1,
    )
    contact = follow(current, update, "o1", 2)
    assert contact is not None
    assert set(contact.fields) == {"age", "joined", "county", "village"}
    assert contact.fields["age"] == FieldValue("30", FieldType.NUMBER, number=Decimal(30))
    assert contact.fields["village"] == FieldValue("Kanyakwar", FieldType.TEXT)
    assert contact.fields["joined"] == current.fields["joined"]
    # The previous state keeps its own fields.
    assert set(current.fields) == {"age", "joined", "member", "county"}
    assert current.fields["age"].number == Decimal(17)


def test_an_update_without_fields_keeps_them() -> None:
    current = projected()
    no_change: list[dict[str, FieldValueRecord | None] | None] = [None, {}]
    for fields in no_change:
        update = ContactUpdated(contact_id="c1", fields=fields, updated_at=T1)
        contact = follow(current, update, "o1", 2)
        assert contact is not None
        assert contact.fields == current.fields


def test_a_projected_contact_is_queryable() -> None:
    query = parse_query("age >= 18", QueryContext(fields={"age": FieldType.NUMBER}))
    current = projected()
    assert not matches(query.predicate, current)
    update = ContactUpdated(
        contact_id="c1", fields={"age": record("18", "number", 18)}, updated_at=T1
    )
    contact = follow(current, update, "o1", 2)
    assert contact is not None
    assert matches(query.predicate, contact)
    removed = follow(
        contact, ContactUpdated(contact_id="c1", fields={"age": None}, updated_at=T2), "o1", 3
    )
    assert removed is not None
    assert not matches(query.predicate, removed)


def test_a_projected_contact_answers_attribute_queries() -> None:
    context = QueryContext(fields={"age": FieldType.NUMBER})
    contact = projected()
    assert matches(parse_query('name ~ "ami"', context).predicate, contact)
    assert matches(parse_query("language = swa", context).predicate, contact)
    assert not matches(parse_query("language = eng", context).predicate, contact)


def test_follow_does_not_judge_staleness() -> None:
    current = projected(sequence=5)
    update = ContactUpdated(contact_id="c1", name="Older", updated_at=T1)
    contact = follow(current, update, "o1", 3)
    assert contact is not None
    assert contact.version == 3  # the caller decides whether to apply an older event
    assert contact.name == "Older"


@pytest.mark.parametrize("to_status", ["blocked", "stopped", "archived", "active"])
def test_a_status_change_sets_the_status(to_status: ContactStatusName) -> None:
    current = projected()
    event = ContactStatusChanged(
        contact_id="c1",
        from_status="active",
        to_status=to_status,
        reason="STOP",
        actor="admin:u1",
        opt_in=OptInRecord(),
        changed_at=T1,
    )
    contact = follow(current, event, "o1", 2)
    assert contact is not None
    assert contact.status == to_status
    assert contact.version == 2
    assert contact.name == "Amina"
    assert contact.fields == current.fields
    assert current.status == "active"


@pytest.mark.parametrize(
    "event",
    [
        ContactAnonymized(contact_id="c1", actor="admin:u1", anonymized_at=T1),
        ContactDeleted(contact_id="c1", actor="admin:u1", deleted_at=T1),
    ],
)
def test_anonymized_or_deleted_contacts_drop_personal_data(
    event: ContactAnonymized | ContactDeleted,
) -> None:
    current = projected()
    current.groups = ["g1"]
    seen = follow(current, ContactUpdated(contact_id="c1", last_seen_at=T1, updated_at=T1), "o1", 2)
    assert seen is not None
    contact = follow(seen, event, "o1", 3)
    assert contact is not None
    assert contact.gone is True
    assert contact.version == 3
    for attribute in ("name", "phone", "secondary_phone", "email", "category", "language"):
        assert getattr(contact, attribute) is None, attribute
    assert contact.last_seen_at is None
    assert contact.fields == {}
    # What membership clean-up still needs is kept.
    assert (contact.id, contact.org_id, contact.status) == ("c1", "o1", "active")
    assert contact.groups == ["g1"]
    assert contact.created_at == T0
    assert not contact.can_be_member
    assert refusal(contact) == "unknown_contact"


# --- export ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cell", ["=1+1", "+254712345678", "-5", "@SUM(A1)", "\tx", "\r=cmd", "=", "+"]
)
def test_would_be_formulas_are_neutralized(cell: str) -> None:
    assert neutralize(cell) == "'" + cell


@pytest.mark.parametrize(
    "cell", ["", "Amina", "1+1", "a=b", "amina@example.org", " =1", "'=already", "42"]
)
def test_ordinary_text_is_left_alone(cell: str) -> None:
    assert neutralize(cell) == cell


def test_header_lists_the_standard_columns_then_the_fields() -> None:
    assert header(["age", "county"]) == [
        "id",
        "name",
        "phone",
        "email",
        "language",
        "status",
        "groups",
        "age",
        "county",
    ]
    assert header([]) == list(STANDARD_COLUMNS)


def test_a_row_follows_the_header() -> None:
    contact = projected()
    contact.groups = ["g2", "g1", "g3"]
    names = {"g1": "Youth", "g2": "Farmers", "g9": "Other"}  # g3 is not visible to the reader
    values = row(contact, ["county", "age", "missing", "member"], names)
    assert len(values) == len(header(["county", "age", "missing", "member"]))
    assert values == [
        "c1",
        "Amina",
        "'+254712345678",  # a leading + reads as a formula
        "amina@example.org",
        "swa",
        "active",
        "Farmers, Youth",
        "Kisumu",
        "17",
        "",
        "yes",
    ]


def test_a_row_shows_missing_attributes_as_empty_cells() -> None:
    contact = MemberContact(id="c2", org_id="o1", status="blocked")
    assert row(contact, ["age"], {}) == ["c2", "", "", "", "", "blocked", "", ""]


def test_a_row_neutralizes_every_cell() -> None:
    contact = MemberContact(
        id="c3",
        org_id="o1",
        name='=HYPERLINK("http://evil")',
        email="@evil",
        groups=["g1"],
        fields={"note": FieldValue("-2+3", FieldType.TEXT)},
    )
    values = row(contact, ["note"], {"g1": "+Group"})
    assert values[1] == '\'=HYPERLINK("http://evil")'
    assert values[3] == "'@evil"
    assert values[6] == "'+Group"
    assert values[7] == "'-2+3"


def test_the_groups_column_lists_only_visible_groups_sorted() -> None:
    contact = MemberContact(id="c4", org_id="o1", groups=["g1", "g2", "g3", "g4"])
    names = {"g4": "Zebra", "g1": "Mango", "g3": "Apple"}
    assert row(contact, [], names)[6] == "Apple, Mango, Zebra"
    assert row(contact, [], {})[6] == ""
    assert row(MemberContact(id="c5", org_id="o1"), [], names)[6] == ""
