"""The custom-field API end to end: real Kafka, real MongoDB-wire store, in-process app.

Covers definitions (key and label rules, roles, events), typed values on contacts, what happens
to contacts' values when a field's type changes or the field is deleted, and queries on fields.
Every test works in a fresh organisation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from services.contacts.bootstrap import ContactsService
from shared.settings import ServiceSettings
from tests.support.contacts_api import create, define_field, phones
from tests.support.eventually import eventually
from tests.support.kafka import TopicTail

Auth = Callable[..., dict[str, str]]
Envelope = dict[str, Any]

CONTACTS_TOPIC = "roster.contacts"
EVENT = "org.roster."


def error_of(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "details"}, body
    error: dict[str, Any] = body["error"]
    return error


def field_event(event_type: str, org: str, key: str) -> Callable[[Envelope], bool]:
    def match(envelope: Envelope) -> bool:
        return (
            envelope.get("type") == EVENT + event_type
            and envelope.get("orgid") == org
            and envelope.get("data", {}).get("key") == key
        )

    return match


def contact_event(event_type: str, contact_id: str) -> Callable[[Envelope], bool]:
    def match(envelope: Envelope) -> bool:
        return (
            envelope.get("type") == EVENT + event_type
            and envelope.get("data", {}).get("contact_id") == contact_id
        )

    return match


async def get_contact(
    client: httpx.AsyncClient, headers: dict[str, str], contact_id: str
) -> dict[str, Any]:
    response = await client.get(f"/v1/contacts/{contact_id}", headers=headers)
    assert response.status_code == 200, response.text
    contact: dict[str, Any] = response.json()
    return contact


async def get_field(client: httpx.AsyncClient, headers: dict[str, str], key: str) -> dict[str, Any]:
    response = await client.get(f"/v1/fields/{key}", headers=headers)
    assert response.status_code == 200, response.text
    field: dict[str, Any] = response.json()
    return field


async def list_fields(client: httpx.AsyncClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = await client.get("/v1/fields", headers=headers)
    assert response.status_code == 200, response.text
    fields: list[dict[str, Any]] = response.json()
    return fields


async def query_ids(
    client: httpx.AsyncClient, headers: dict[str, str], query: str, **params: Any
) -> list[str]:
    response = await client.get(
        "/v1/contacts", params={"query": query, "limit": 500, **params}, headers=headers
    )
    assert response.status_code == 200, (query, response.text)
    return sorted(item["id"] for item in response.json()["items"])


async def query_count(
    client: httpx.AsyncClient, headers: dict[str, str], query: str, **params: Any
) -> int:
    response = await client.get(
        "/v1/contacts/count", params={"query": query, **params}, headers=headers
    )
    assert response.status_code == 200, (query, response.text)
    count: int = response.json()["count"]
    return count


async def values_followed(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    contacts_service: ContactsService,
    key: str,
) -> dict[str, Any]:
    """Waits for the background worker, then insists the definition says it is done."""
    await contacts_service.running.field_values.idle()
    field = await eventually(
        lambda: get_field(client, headers, key), lambda f: not f["values_pending"], timeout_s=15
    )
    return field


async def set_timezone(client: httpx.AsyncClient, headers: dict[str, str], timezone: str) -> None:
    response = await client.patch("/v1/organization", json={"timezone": timezone}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["timezone"] == timezone


def record(text: str, type_: str, value: Any) -> dict[str, Any]:
    return {"text": text, "type": type_, "value": value}


# --- definitions ------------------------------------------------------------------------------


async def test_define_list_get_and_field_defined_event(
    client: httpx.AsyncClient, auth: Auth, org: str, settings: ServiceSettings
) -> None:
    """The key comes from the label; the list puts featured fields first; the org hears of it."""
    headers = auth(org)

    async with TopicTail(
        settings.kafka_bootstrap, settings.kafka_topic_prefix + CONTACTS_TOPIC
    ) as tail:
        response = await client.post(
            "/v1/fields", json={"label": "Date of Birth", "type": "datetime"}, headers=headers
        )
        assert response.status_code == 201, response.text
        dob = response.json()
        assert dob["key"] == "date_of_birth"
        assert dob["label"] == "Date of Birth"
        assert dob["type"] == "datetime"
        assert (dob["featured"], dob["order"], dob["version"]) == (False, 0, 1)
        assert (dob["values_pending"], dob["last_conversion"]) == (False, None)
        assert dob["created_at"] is not None
        assert dob["updated_at"] == dob["created_at"]

        [event] = await tail.wait_for(field_event("FieldDefined", org, "date_of_birth"))
        assert event["subject"] == f"{org}:date_of_birth"
        assert event["sequence"] == 1
        assert event["orgid"] == org
        data = event["data"]
        assert {k: data[k] for k in ("key", "label", "type", "featured", "order")} == {
            "key": "date_of_birth",
            "label": "Date of Birth",
            "type": "datetime",
            "featured": False,
            "order": 0,
        }
        assert set(data) == {"key", "label", "type", "featured", "order", "updated_at"}
        [kafka_record] = [
            r for r in tail.records if r.value is not None and event["id"].encode() in r.value
        ]
        assert kafka_record.key == org.encode(), "field events are keyed by the organisation"

    await define_field(client, headers, "zone", featured=True, order=2)
    await define_field(client, headers, "Area", featured=True, order=1)
    await define_field(client, headers, "Age", "number")
    await define_field(client, headers, "beta", "boolean")
    await define_field(client, headers, "  Élan Vital!  ")

    listed = await list_fields(client, headers)
    assert [f["key"] for f in listed] == [
        "area",
        "zone",
        "age",
        "beta",
        "date_of_birth",
        "elan_vital",
    ], "featured first by order, then the rest by label ignoring case"
    assert [f for f in listed if f["key"] == "date_of_birth"] == [dob]
    assert [f["label"] for f in listed if f["key"] == "elan_vital"] == ["Élan Vital!"]

    assert await get_field(client, headers, "date_of_birth") == dob
    missing = await client.get("/v1/fields/no_such_field", headers=headers)
    assert missing.status_code == 404
    assert error_of(missing)["code"] == "not_found"
    assert await list_fields(client, auth(f"{org}-other")) == [], "fields belong to one org"


async def test_key_and_label_rules(client: httpx.AsyncClient, auth: Auth, org: str) -> None:
    """Keys are safe identifiers that cannot shadow contact attributes; labels are unique."""
    headers = auth(org)

    invalid_keys = ["Age", "1age", "_age", "age-group", "a" * 37, "", "gë"]
    for key in invalid_keys:
        response = await client.post(
            "/v1/fields", json={"label": f"Label {key}", "key": key}, headers=headers
        )
        assert response.status_code == 422, (key, response.text)
        assert error_of(response)["code"] == "invalid_field", key

    reserved = [
        {"label": "Name"},
        {"label": "Status"},
        {"label": "Groups"},
        {"label": "Created On"},
        {"label": "Anything", "key": "phone"},
        {"label": "Something", "key": "group"},
    ]
    for body in reserved:
        response = await client.post("/v1/fields", json=body, headers=headers)
        assert response.status_code == 422, (body, response.text)
        error = error_of(response)
        assert error["code"] == "invalid_field", body
        assert "reserved" in error["message"], body

    unusable_label = await client.post("/v1/fields", json={"label": "!!!"}, headers=headers)
    assert unusable_label.status_code == 422, unusable_label.text
    assert error_of(unusable_label)["code"] == "invalid_field"

    unknown_type = await client.post(
        "/v1/fields", json={"label": "Colour", "type": "colour"}, headers=headers
    )
    assert unknown_type.status_code == 422, unknown_type.text
    error = error_of(unknown_type)
    assert error["code"] == "invalid_field"
    assert set(error["details"]["allowed"]) == {
        "text",
        "number",
        "datetime",
        "boolean",
        "state",
        "district",
        "ward",
    }

    longest = await define_field(client, headers, "Longest", key="a" * 36)
    assert longest["key"] == "a" * 36
    digit_first = await define_field(client, headers, "2nd Phone")
    assert digit_first["key"] == "f_2nd_phone"

    region = await define_field(client, headers, "Region", "state")
    same_label = await client.post(
        "/v1/fields", json={"label": "  REGION ", "key": "region_two"}, headers=headers
    )
    assert same_label.status_code == 409, same_label.text
    assert error_of(same_label)["code"] == "duplicate_field"
    same_key = await client.post(
        "/v1/fields", json={"label": "Another Region", "key": "region"}, headers=headers
    )
    assert same_key.status_code == 409, same_key.text
    assert error_of(same_key)["code"] == "duplicate_field"

    other = await define_field(client, headers, "Province")
    relabel = await client.patch(
        f"/v1/fields/{other['key']}", json={"label": "region"}, headers=headers
    )
    assert relabel.status_code == 409, relabel.text
    assert error_of(relabel)["code"] == "duplicate_field"

    unknown_change = await client.patch(
        f"/v1/fields/{other['key']}", json={"type": "colour"}, headers=headers
    )
    assert unknown_change.status_code == 422, unknown_change.text
    assert error_of(unknown_change)["code"] == "invalid_field"

    listed = await list_fields(client, headers)
    assert sorted(f["key"] for f in listed) == sorted(
        ["a" * 36, "f_2nd_phone", "region", "province"]
    )
    assert await get_field(client, headers, "region") == region
    assert await get_field(client, headers, "province") == other


async def test_at_most_max_fields_per_organisation(
    client: httpx.AsyncClient, auth: Auth, org: str, settings: ServiceSettings
) -> None:
    """The per-organisation limit holds, and a deleted field frees its place."""
    headers = auth(org)
    limit = settings.max_fields_per_org
    assert limit <= 300, f"max_fields_per_org={limit} is too many to fill in a quick test"
    for number in range(limit):
        response = await client.post("/v1/fields", json={"label": f"F{number}"}, headers=headers)
        assert response.status_code == 201, (number, response.text)

    over = await client.post("/v1/fields", json={"label": "One Too Many"}, headers=headers)
    assert over.status_code == 409, over.text
    assert error_of(over)["code"] == "too_many_fields"
    assert len(await list_fields(client, headers)) == limit

    assert (await client.delete("/v1/fields/f0", headers=headers)).status_code == 204
    await define_field(client, headers, "One More")
    assert len(await list_fields(client, headers)) == limit


async def test_staff_reads_fields_but_only_managers_and_admins_change_them(
    client: httpx.AsyncClient, auth: Auth, org: str
) -> None:
    """Field definitions shape every contact: staff may read them, not change them."""
    admin, manager, staff = auth(org), auth(org, "manager"), auth(org, "staff")
    field = await define_field(client, admin, "Village")

    assert await list_fields(client, staff) == [field]
    assert await get_field(client, staff, "village") == field

    attempts = [
        await client.post("/v1/fields", json={"label": "By Staff"}, headers=staff),
        await client.patch("/v1/fields/village", json={"label": "Hamlet"}, headers=staff),
        await client.patch("/v1/fields/village", json={"type": "number"}, headers=staff),
        await client.delete("/v1/fields/village", headers=staff),
    ]
    for response in attempts:
        assert response.status_code == 403, (response.request.method, response.text)
        assert error_of(response)["code"] == "forbidden"
    assert await list_fields(client, admin) == [field]

    by_manager = await define_field(client, manager, "Ward Name", "ward")
    assert by_manager["key"] == "ward_name"
    changed = await client.patch(
        "/v1/fields/ward_name", json={"label": "Ward", "featured": True}, headers=manager
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["label"], changed.json()["featured"]) == ("Ward", True)
    assert changed.json()["version"] == 2
    assert (await client.delete("/v1/fields/ward_name", headers=manager)).status_code == 204

    by_admin = await define_field(client, admin, "Clinic")
    changed = await client.patch("/v1/fields/clinic", json={"order": 3}, headers=admin)
    assert changed.status_code == 200, changed.text
    assert changed.json()["order"] == 3
    assert (await client.delete(f"/v1/fields/{by_admin['key']}", headers=admin)).status_code == 204

    assert [f["key"] for f in await list_fields(client, staff)] == ["village"]


# --- values on contacts -----------------------------------------------------------------------


async def test_values_are_stored_typed_and_keep_their_text(
    client: httpx.AsyncClient, auth: Auth, org: str
) -> None:
    """Numbers, dates (naive ones in the org's timezone, kept in UTC), booleans, locations."""
    headers = auth(org)
    await set_timezone(client, headers, "Africa/Lagos")  # UTC+1 all year
    await define_field(client, headers, "Age", "number")
    await define_field(client, headers, "Visit", "datetime")
    await define_field(client, headers, "Consent", "boolean")
    await define_field(client, headers, "District", "district")
    p1, p2, p3 = phones(3)

    first = await create(
        client,
        headers,
        phone=p1,
        fields={"age": "18.50", "visit": "2024-03-10 10:30", "consent": "Yes", "district": "Kano"},
    )
    expected = {
        "age": record("18.50", "number", 18.5),
        "visit": record("2024-03-10 10:30", "datetime", "2024-03-10T09:30:00+00:00"),
        "consent": record("Yes", "boolean", True),
        "district": record("Kano", "district", "Kano"),
    }
    assert first["fields"] == expected
    assert (await get_contact(client, headers, first["id"]))["fields"] == expected

    second = await create(
        client,
        headers,
        phone=p2,
        fields={
            "age": 7,
            "visit": "31/01/2024",
            "consent": False,
            "district": "  Ikeja ",
        },
    )
    assert second["fields"] == {
        "age": record("7", "number", 7),
        "visit": record("31/01/2024", "datetime", "2024-01-30T23:00:00+00:00"),
        "consent": record("false", "boolean", False),
        "district": record("Ikeja", "district", "Ikeja"),
    }

    third = await create(
        client,
        headers,
        phone=p3,
        fields={"age": "1,250", "visit": "2024-06-01T08:00:00+03:00", "consent": "0"},
    )
    assert third["fields"] == {
        "age": record("1,250", "number", 1250),
        "visit": record("2024-06-01T08:00:00+03:00", "datetime", "2024-06-01T05:00:00+00:00"),
        "consent": record("0", "boolean", False),
    }

    url = f"/v1/contacts/{first['id']}"
    merged = await client.patch(
        url, json={"fields": {"age": 19, "consent": "no", "district": None}}, headers=headers
    )
    assert merged.status_code == 200, merged.text
    assert merged.json()["fields"] == {
        "age": record("19", "number", 19),
        "visit": expected["visit"],
        "consent": record("no", "boolean", False),
    }, "a PATCH merges field values; null clears one"
    emptied = await client.patch(url, json={"fields": {"visit": ""}}, headers=headers)
    assert emptied.status_code == 200, emptied.text
    assert set(emptied.json()["fields"]) == {"age", "consent"}


async def test_invalid_and_unknown_values_are_refused(
    client: httpx.AsyncClient, auth: Auth, org: str
) -> None:
    """A value that does not read as its field's type, or names no field, stores nothing."""
    headers = auth(org)
    await define_field(client, headers, "Age", "number")
    await define_field(client, headers, "Visit", "datetime")
    await define_field(client, headers, "Consent", "boolean")
    p1, p2, p3, p4, p5 = phones(5)

    bad_values = [
        ("age", "eighteen"),
        ("age", "NaN"),
        ("age", "1e400"),
        ("visit", "tomorrow"),
        ("visit", "2024-02-30"),
        ("consent", "maybe"),
        ("age", {"value": 3}),
    ]
    for key, value in bad_values:
        response = await client.post(
            "/v1/contacts", json={"phone": p1, "fields": {key: value}}, headers=headers
        )
        assert response.status_code == 422, (key, value, response.text)
        error = error_of(response)
        assert error["code"] == "invalid_field_value", (key, value, error)
        assert error["details"]["field"] == key, (key, value, error)

    unknown = await client.post(
        "/v1/contacts", json={"phone": p1, "fields": {"age": 3, "colour": "red"}}, headers=headers
    )
    assert unknown.status_code == 422, unknown.text
    error = error_of(unknown)
    assert error["code"] == "unknown_field"
    assert error["details"]["field"] == "colour"
    assert await query_ids(client, headers, 'tel = "' + p1 + '"', status="any") == []

    contact = await create(client, headers, phone=p2, fields={"age": 30})
    refused = await client.patch(
        f"/v1/contacts/{contact['id']}", json={"fields": {"age": "old"}}, headers=headers
    )
    assert refused.status_code == 422, refused.text
    assert error_of(refused)["details"]["field"] == "age"
    assert await get_contact(client, headers, contact["id"]) == contact

    entries: list[dict[str, Any]] = [
        {"phone": p1, "fields": {"age": "21"}},
        {"phone": p3, "fields": {"age": "twenty"}},
        {"phone": p4, "fields": {"colour": "red"}},
        {"phone": p5, "fields": {"consent": "y"}},
    ]
    response = await client.post("/v1/contacts/batch", json={"contacts": entries}, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["created"], body["failed"]) == (2, 2), body
    results = body["results"]
    assert [r["status"] for r in results] == ["created", "error", "error", "created"]
    assert results[1]["error"]["code"] == "invalid_field_value"
    assert results[1]["error"]["details"]["field"] == "age"
    assert results[2]["error"]["code"] == "unknown_field"
    assert results[0]["contact"]["fields"] == {"age": record("21", "number", 21)}
    assert results[3]["contact"]["fields"] == {"consent": record("y", "boolean", True)}
    assert await query_count(client, headers, "age > 0 OR consent = yes") == 3


# --- type change and deletion -----------------------------------------------------------------


async def test_type_change_converts_values_and_clears_the_rest(
    client: httpx.AsyncClient,
    auth: Auth,
    org: str,
    settings: ServiceSettings,
    contacts_service: ContactsService,
) -> None:
    """text → number: values that read as numbers become numbers, the others are cleared and
    reported, and every changed contact is announced."""
    headers = auth(org)
    await define_field(client, headers, "Score")
    await define_field(client, headers, "Note")
    p1, p2, p3, p4, p5 = phones(5)
    whole = await create(client, headers, phone=p1, fields={"score": "42", "note": "keep"})
    decimal = await create(client, headers, phone=p2, fields={"score": "3.5"})
    word = await create(client, headers, phone=p3, fields={"score": "high", "note": "keep"})
    dashed = await create(client, headers, phone=p4, fields={"score": "n/a"})
    without = await create(client, headers, phone=p5, fields={"note": "no score"})

    async with TopicTail(
        settings.kafka_bootstrap, settings.kafka_topic_prefix + CONTACTS_TOPIC
    ) as tail:
        response = await client.patch("/v1/fields/score", json={"type": "number"}, headers=headers)
        assert response.status_code == 200, response.text
        changed = response.json()
        assert (changed["type"], changed["version"]) == ("number", 2)
        assert changed["values_pending"] is True, "values follow in the background"

        [event] = await tail.wait_for(field_event("FieldChanged", org, "score"))
        assert (event["subject"], event["sequence"]) == (f"{org}:score", 2)
        assert event["data"]["previous_type"] == "text"
        assert event["data"]["type"] == "number"
        assert event["data"]["changed"] == ["type"]
        assert event["data"]["label"] == "Score"

        field = await values_followed(client, headers, contacts_service, "score")
        conversion = field["last_conversion"]
        assert conversion is not None, field
        assert (conversion["to_type"], conversion["converted"], conversion["cleared"]) == (
            "number",
            2,
            2,
        ), conversion
        assert sorted(conversion["cleared_contacts"]) == sorted([word["id"], dashed["id"]])
        assert conversion["finished_at"] is not None

        for cleared in (word, dashed):
            [updated] = await tail.wait_for(contact_event("ContactUpdated", cleared["id"]))
            assert updated["data"]["fields"] == {"score": None}, updated
        [converted] = await tail.wait_for(contact_event("ContactUpdated", whole["id"]))
        assert converted["data"]["fields"] == {"score": record("42", "number", 42)}
        await tail.drain(0.5)
        untouched = contact_event("ContactUpdated", without["id"])
        assert not [e for e in tail.envelopes() if untouched(e)], "nothing changed for it"

    assert (await get_contact(client, headers, whole["id"]))["fields"] == {
        "score": record("42", "number", 42),
        "note": record("keep", "text", "keep"),
    }
    assert (await get_contact(client, headers, decimal["id"]))["fields"] == {
        "score": record("3.5", "number", 3.5)
    }
    assert (await get_contact(client, headers, word["id"]))["fields"] == {
        "note": record("keep", "text", "keep")
    }
    assert (await get_contact(client, headers, dashed["id"]))["fields"] == {}
    assert (await get_contact(client, headers, without["id"]))["fields"] == without["fields"]

    assert await query_ids(client, headers, "score > 10") == [whole["id"]]
    assert await query_ids(client, headers, "score < 10") == [decimal["id"]]
    new_value = await client.patch(
        f"/v1/contacts/{without['id']}", json={"fields": {"score": "many"}}, headers=headers
    )
    assert new_value.status_code == 422, "values now have to be numbers"
    assert error_of(new_value)["code"] == "invalid_field_value"


async def test_delete_removes_every_value_and_frees_the_label(
    client: httpx.AsyncClient,
    auth: Auth,
    org: str,
    settings: ServiceSettings,
    contacts_service: ContactsService,
) -> None:
    """The definition goes at once; values follow in the background, each removal announced."""
    headers = auth(org)
    await define_field(client, headers, "Nickname")
    await define_field(client, headers, "Town")
    p1, p2, p3 = phones(3)
    one = await create(client, headers, phone=p1, fields={"nickname": "x", "town": "Jos"})
    two = await create(client, headers, phone=p2, fields={"nickname": "Shorty"})
    three = await create(client, headers, phone=p3, fields={"town": "Kano"})
    assert await query_ids(client, headers, "nickname = x") == [one["id"]]

    async with TopicTail(
        settings.kafka_bootstrap, settings.kafka_topic_prefix + CONTACTS_TOPIC
    ) as tail:
        deleted = await client.delete("/v1/fields/nickname", headers=headers)
        assert deleted.status_code == 204, deleted.text
        assert deleted.content == b""

        gone = await client.get("/v1/fields/nickname", headers=headers)
        assert gone.status_code == 404
        assert error_of(gone)["code"] == "not_found"
        assert [f["key"] for f in await list_fields(client, headers)] == ["town"]
        again = await client.delete("/v1/fields/nickname", headers=headers)
        assert again.status_code == 404

        [event] = await tail.wait_for(field_event("FieldDeleted", org, "nickname"))
        assert event["subject"] == f"{org}:nickname"
        deleted_sequence = event["sequence"]
        assert set(event["data"]) == {"key", "deleted_at"}

        await contacts_service.running.field_values.idle()
        for contact in (one, two):
            [updated] = await tail.wait_for(contact_event("ContactUpdated", contact["id"]))
            assert updated["data"]["fields"] == {"nickname": None}, updated
        await tail.drain(0.5)
        untouched = contact_event("ContactUpdated", three["id"])
        assert not [e for e in tail.envelopes() if untouched(e)]

    assert (await get_contact(client, headers, one["id"]))["fields"] == {
        "town": record("Jos", "text", "Jos")
    }
    assert (await get_contact(client, headers, two["id"]))["fields"] == {}
    assert (await get_contact(client, headers, three["id"]))["fields"] == three["fields"]

    for query in ("nickname = x", 'fields.nickname != ""'):
        response = await client.get("/v1/contacts", params={"query": query}, headers=headers)
        assert response.status_code == 422, (query, response.text)
        error = error_of(response)
        assert error["code"] == "unknown_property", (query, error)
        assert error["details"]["property"] == "nickname"
    stale = await client.patch(
        f"/v1/contacts/{two['id']}", json={"fields": {"nickname": "y"}}, headers=headers
    )
    assert stale.status_code == 422
    assert error_of(stale)["code"] == "unknown_field"

    # The worker is idle, so the removal has finished: the key and the label are free again.
    response = await client.post(
        "/v1/fields", json={"label": "Nickname", "type": "number"}, headers=headers
    )
    assert response.status_code == 201, response.text
    again_defined = response.json()
    assert (again_defined["key"], again_defined["type"]) == ("nickname", "number")
    # The key's history continues: consumers that drop stale sequences keep the new field.
    assert again_defined["version"] == deleted_sequence + 1
    assert again_defined["last_conversion"] is None
    assert (await get_contact(client, headers, one["id"]))["fields"] == {
        "town": record("Jos", "text", "Jos")
    }, "old values do not come back with the new field"
    assert await query_ids(client, headers, 'nickname != ""') == []


# --- queries ----------------------------------------------------------------------------------


async def test_queries_on_fields_list_count_and_parse(
    client: httpx.AsyncClient, auth: Auth, org: str
) -> None:
    """Field comparisons select exactly the right contacts; plain queries see active ones only."""
    headers = auth(org)
    await define_field(client, headers, "Age", "number")
    await define_field(client, headers, "District", "district")
    p = phones(7)
    match = await create(client, headers, phone=p[0], fields={"age": 30, "district": "Kano"})
    other_case = await create(client, headers, phone=p[1], fields={"age": "40", "district": "KANO"})
    exactly_18 = await create(client, headers, phone=p[2], fields={"age": 18, "district": "Kano"})
    elsewhere = await create(client, headers, phone=p[3], fields={"age": 25, "district": "Lagos"})
    no_age = await create(client, headers, phone=p[4], fields={"district": "Kano"})
    blocked = await create(client, headers, phone=p[5], fields={"age": 50, "district": "Kano"})
    plain = await create(client, headers, phone=p[6], name="Plain Person")
    response = await client.post(
        f"/v1/contacts/{blocked['id']}/status", json={"status": "blocked"}, headers=headers
    )
    assert response.status_code == 200, response.text

    query = 'age > 18 AND district = "Kano"'
    expected = sorted([match["id"], other_case["id"]])
    assert await query_ids(client, headers, query) == expected
    assert await query_count(client, headers, query) == 2
    assert await query_ids(client, headers, query, status="any") == sorted(
        [*expected, blocked["id"]]
    )
    assert await query_count(client, headers, query, status="any") == 3
    assert await query_ids(client, headers, "age >= 18 AND district = kano") == sorted(
        [*expected, exactly_18["id"]]
    )
    assert await query_ids(client, headers, "age = 18.0") == [exactly_18["id"]]
    assert await query_ids(client, headers, 'age = ""') == sorted([no_age["id"], plain["id"]])
    assert await query_ids(client, headers, "district != Kano") == sorted(
        [elsewhere["id"], plain["id"]]
    )
    assert await query_ids(client, headers, "age < 20 OR district = lagos") == sorted(
        [exactly_18["id"], elsewhere["id"]]
    )

    assert await query_ids(client, headers, "status = blocked") == [blocked["id"]]
    assert await query_count(client, headers, "status = blocked") == 1
    assert await query_ids(client, headers, "status = blocked AND age > 18") == [blocked["id"]]
    assert await query_ids(client, headers, "age > 45") == []
    assert await query_ids(client, headers, "status = blocked", status="active") == []

    parsed = await client.post(
        "/v1/contacts/query/parse",
        json={"query": 'age>18 and district="Kano"'},
        headers=headers,
    )
    assert parsed.status_code == 200, parsed.text
    assert parsed.json() == {
        "query": "age > 18 AND district = Kano",
        "rapidpro_query": 'fields.age > 18 AND fields.district = "Kano"',
        "fields": ["age", "district"],
        "groups": [],
        "attributes": [],
        "allowed_in_smart_group": True,
    }
    normalized = parsed.json()["query"]
    assert await query_ids(client, headers, normalized) == expected
    # RapidPro's printed form means the same here.
    assert await query_ids(client, headers, parsed.json()["rapidpro_query"]) == expected

    with_status = await client.post(
        "/v1/contacts/query/parse",
        json={"query": 'status = blocked OR fields.district = "Port Harcourt"'},
        headers=headers,
    )
    assert with_status.status_code == 200, with_status.text
    assert with_status.json() == {
        "query": 'status = blocked OR district = "Port Harcourt"',
        "rapidpro_query": 'status = "blocked" OR fields.district = "Port Harcourt"',
        "fields": ["district"],
        "groups": [],
        "attributes": ["status"],
        "allowed_in_smart_group": False,
    }
    by_id = await client.post(
        "/v1/contacts/query/parse", json={"query": f"uuid = {match['id']}"}, headers=headers
    )
    assert by_id.status_code == 200, by_id.text
    assert by_id.json()["attributes"] == ["id"]
    assert by_id.json()["allowed_in_smart_group"] is False

    refused = {
        "age > old": "invalid_number",
        "district > Kano": "unsupported_comparison",
        "age ~ 1": "unsupported_contains",
        "weight > 3": "unknown_property",
        "tel ~ 12": "invalid_partial_urn",
        "urns.twitter = bob": "unknown_property",
        # RapidPro's limit, not the request's: 10,001 characters are too complex
        'name = "' + "x" * 9_992 + '"': "too_complex",
    }
    for text, code in refused.items():
        response = await client.get("/v1/contacts", params={"query": text}, headers=headers)
        assert response.status_code == 422, (text, response.text)
        assert error_of(response)["code"] == code, text
        parse = await client.post("/v1/contacts/query/parse", json={"query": text}, headers=headers)
        assert parse.status_code == 422, (text, parse.text)
        assert error_of(parse)["code"] == code, text


async def test_null_attributes_and_out_of_range_dates_are_refused_not_crashing(
    client: httpx.AsyncClient, auth: Auth, org: str
) -> None:
    headers = auth(org)
    await define_field(client, headers, "Visit", "datetime")
    for body in ({"featured": None}, {"order": None}, {"label": None}, {"type": None}):
        response = await client.patch("/v1/fields/visit", json=body, headers=headers)
        assert response.status_code == 422, (body, response.text)
    [phone] = phones(1)
    batch = await client.post(
        "/v1/contacts/batch",
        json={"contacts": [{"phone": phone, "fields": {"visit": "9999-12-31T23:59:59-01:00"}}]},
        headers=headers,
    )
    assert batch.status_code == 200, batch.text
    assert batch.json()["results"][0]["error"]["code"] == "invalid_field_value"
    query = await client.get(
        "/v1/contacts", params={"query": "visit > 9999-12-31"}, headers=headers
    )
    assert query.status_code == 422 and query.json()["error"]["code"] == "invalid_date"
