"""The contacts HTTP API end to end: real Kafka, real MongoDB-wire store, in-process app.

Every test works in a fresh organisation, so tests never see each other's contacts.
"""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from shared.settings import ServiceSettings
from tests.support.contacts_api import create, define_field, phones
from tests.support.group_events import assign_staff, wait_for_groups
from tests.support.kafka import TopicTail

Auth = Callable[..., dict[str, str]]
Envelope = dict[str, Any]

CONTACTS_TOPIC = "roster.contacts"
ORGANIZATIONS_TOPIC = "roster.organizations"
EVENT = "org.roster."


def new_phone() -> tuple[str, str]:
    """A random, valid Kenyan mobile number: (E.164, national spelling with the trunk 0)."""
    subscriber = "7" + "".join(random.choices("0123456789", k=8))
    return "+254" + subscriber, "0" + subscriber


async def get(
    client: httpx.AsyncClient, headers: dict[str, str], contact_id: str
) -> httpx.Response:
    return await client.get(f"/v1/contacts/{contact_id}", headers=headers)


async def list_ids(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> list[str]:
    response = await client.get("/v1/contacts", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def error_of(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "details"}, body
    error: dict[str, Any] = body["error"]
    return error


def event_for(event_type: str, contact_id: str) -> Callable[[Envelope], bool]:
    def match(envelope: Envelope) -> bool:
        return (
            envelope.get("type") == EVENT + event_type
            and envelope.get("data", {}).get("contact_id") == contact_id
        )

    return match


def encode_raw_cursor(value: Any) -> str:
    raw = json.dumps(value, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def as_utc(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- create -----------------------------------------------------------------------------------


async def test_create_stores_e164_and_takes_language_from_organisation(
    client: httpx.AsyncClient, auth: Auth, org: str
) -> None:
    """The phone is stored in one spelling (E.164) and the org's default language applies."""
    headers = auth(org)
    e164, _ = new_phone()
    spaced = f"{e164[:4]} {e164[4:7]} {e164[7:10]} {e164[10:]}"

    before = await create(client, headers, phone=spaced, name="  Amina  ")
    assert before["phone"] == e164
    assert before["name"] == "Amina"
    assert before["language"] is None
    assert before["status"] == "active"
    assert before["version"] == 1
    assert before["opt_in"]["status"] == "unknown"

    patched = await client.patch(
        "/v1/organization", json={"default_language": "swa"}, headers=headers
    )
    assert patched.status_code == 200, patched.text
    after = await create(client, headers, phone=new_phone()[0], opt_in=True)
    assert after["language"] == "swa"
    assert after["opt_in"]["status"] == "opted_in"
    assert after["opt_in"]["opt_in_method"] == "api"
    explicit = await create(client, headers, phone=new_phone()[0], language="ENG")
    assert explicit["language"] == "eng"

    stored = await get(client, headers, before["id"])
    assert stored.status_code == 200
    assert stored.json() == before


async def test_invalid_phone_is_refused_with_a_reason(
    client: httpx.AsyncClient, auth: Auth, org: str
) -> None:
    """Clients get a machine-readable reason for every refused number, and nothing is stored."""
    headers = auth(org)
    cases = {"call me": "not_a_number", "12345": "too_short", "   ": "empty", "": "missing"}
    for raw, reason in cases.items():
        response = await client.post("/v1/contacts", json={"phone": raw}, headers=headers)
        assert response.status_code == 422, (raw, response.text)
        error = error_of(response)
        assert error["code"] == "invalid_phone", (raw, error)
        assert error["details"]["reason"] == reason, (raw, error)

    missing = await client.post("/v1/contacts", json={"name": "No Phone"}, headers=headers)
    assert missing.status_code == 422
    assert error_of(missing)["code"] == "invalid_phone"
    assert error_of(missing)["details"]["reason"] == "missing"
    assert await list_ids(client, headers, status="any") == []


async def test_duplicate_phone_names_the_existing_contact_in_any_spelling(
    client: httpx.AsyncClient, auth: Auth, org: str
) -> None:
    """One phone, one contact per organisation, however the second attempt spells it."""
    headers = auth(org)
    e164, national = new_phone()
    first = await create(client, headers, phone=e164, name="First")

    again = await client.post("/v1/contacts", json={"phone": e164}, headers=headers)
    assert again.status_code == 409
    assert error_of(again)["code"] == "duplicate_phone"
    assert error_of(again)["details"]["existing_id"] == first["id"]

    no_plus = await client.post("/v1/contacts", json={"phone": e164[1:]}, headers=headers)
    assert no_plus.status_code == 409
    assert error_of(no_plus)["details"]["existing_id"] == first["id"]

    patched = await client.patch(
        "/v1/organization", json={"default_country": "KE"}, headers=headers
    )
    assert patched.status_code == 200, patched.text
    national_spelling = await client.post(
        "/v1/contacts", json={"phone": national}, headers=auth(org)
    )
    assert national_spelling.status_code == 409, national_spelling.text
    assert error_of(national_spelling)["code"] == "duplicate_phone"
    assert error_of(national_spelling)["details"]["existing_id"] == first["id"]

    assert await list_ids(client, headers, status="any") == [first["id"]]


async def test_national_number_needs_the_organisation_default_country(
    client: httpx.AsyncClient, auth: Auth, org: str
) -> None:
    """A number without country code is ambiguous until the organisation names its country."""
    headers = auth(org)
    e164, national = new_phone()

    refused = await client.post("/v1/contacts", json={"phone": national}, headers=headers)
    assert refused.status_code == 422
    assert error_of(refused)["code"] == "invalid_phone"
    assert error_of(refused)["details"]["reason"] == "missing_country_code"

    patched = await client.patch(
        "/v1/organization", json={"default_country": "KE"}, headers=headers
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["default_country"] == "KE"

    accepted = await create(client, headers, phone=national)
    assert accepted["phone"] == e164


# --- batch ------------------------------------------------------------------------------------


async def test_batch_reports_each_entry_and_creates_only_the_valid_ones(
    client: httpx.AsyncClient, auth: Auth, org: str
) -> None:
    """One bad entry never blocks the others; results come back in request order."""
    headers = auth(org)
    existing_phone, valid_a, valid_b, typed_phone, email_phone = phones(5)
    existing = await create(client, headers, phone=existing_phone)
    await define_field(client, headers, "District", "district")

    entries: list[dict[str, Any]] = [
        {"phone": valid_a, "name": "Valid A"},
        {"phone": "call me"},
        {"phone": valid_a[1:], "name": "Same as A without plus"},
        {"phone": existing_phone, "name": "Already stored"},
        {"phone": typed_phone, "fields": "x"},
        {"phone": valid_b, "name": "Valid B", "fields": {"district": "Kisumu"}},
        {"phone": email_phone, "email": "not-an-email"},
    ]
    response = await client.post("/v1/contacts/batch", json={"contacts": entries}, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()

    assert (body["created"], body["failed"]) == (2, 5)
    results = body["results"]
    assert [r["index"] for r in results] == list(range(len(entries)))
    assert [r["status"] for r in results] == [
        "created",
        "error",
        "error",
        "error",
        "error",
        "created",
        "error",
    ]
    codes = [r["error"]["code"] if r["status"] == "error" else None for r in results]
    assert codes == [
        None,
        "invalid_phone",
        "duplicate_phone",
        "duplicate_phone",
        "validation_error",
        None,
        "invalid_value",
    ]
    assert results[1]["error"]["details"]["reason"] == "not_a_number"
    assert results[2]["error"]["details"]["duplicate_of_index"] == 0
    assert results[3]["error"]["details"]["existing_id"] == existing["id"]
    assert results[4]["error"]["details"]["problems"], results[4]

    created_a, created_b = results[0]["contact"], results[5]["contact"]
    assert (created_a["phone"], created_b["phone"]) == (valid_a, valid_b)
    for contact in (created_a, created_b):
        stored = await get(client, headers, contact["id"])
        assert stored.status_code == 200
        assert stored.json() == contact
    assert sorted(await list_ids(client, headers, status="any")) == sorted(
        [existing["id"], created_a["id"], created_b["id"]]
    )


async def test_batch_over_one_thousand_entries_is_refused_whole(
    client: httpx.AsyncClient, auth: Auth, org: str
) -> None:
    """The size limit protects the service; nothing of an oversized batch is stored."""
    headers = auth(org)
    entries = [{"phone": p} for p in phones(1001)]
    response = await client.post("/v1/contacts/batch", json={"contacts": entries}, headers=headers)
    assert response.status_code == 422
    assert error_of(response)["code"] == "validation_error"
    assert await list_ids(client, headers, status="any") == []


# --- list and search --------------------------------------------------------------------------


async def test_list_filters_by_status_text_and_category(
    client: httpx.AsyncClient, auth: Auth, org: str
) -> None:
    """Default list is active contacts only; q searches name, phone and email case-insensitively."""
    headers = auth(org)
    p1, p2, p3 = phones(3)
    wanjiru = await create(
        client, headers, phone=p1, name="Wanjiru Kamau", email="W.Kamau@Example.ORG", category="vip"
    )
    otieno = await create(
        client, headers, phone=p2, name="Otieno Odhiambo", email="otieno@mail.test", category="std"
    )
    archived = await create(client, headers, phone=p3, name="Archived Person", category="vip")
    status = await client.post(
        f"/v1/contacts/{archived['id']}/status", json={"status": "archived"}, headers=headers
    )
    assert status.status_code == 200, status.text

    assert sorted(await list_ids(client, headers)) == sorted([wanjiru["id"], otieno["id"]])
    assert await list_ids(client, headers, status="archived") == [archived["id"]]
    assert sorted(await list_ids(client, headers, status="any")) == sorted(
        [wanjiru["id"], otieno["id"], archived["id"]]
    )

    assert await list_ids(client, headers, q="WANJIRU") == [wanjiru["id"]]
    assert await list_ids(client, headers, q="kamau") == [wanjiru["id"]]
    assert await list_ids(client, headers, q=p2[5:11]) == [otieno["id"]]
    assert await list_ids(client, headers, q=p2) == [otieno["id"]]
    assert await list_ids(client, headers, q="example.org") == [wanjiru["id"]]
    assert await list_ids(client, headers, q="MAIL.TEST") == [otieno["id"]]
    assert await list_ids(client, headers, q="archived") == []
    assert await list_ids(client, headers, q="archived", status="any") == [archived["id"]]
    assert await list_ids(client, headers, q="nobody-has-this") == []

    assert await list_ids(client, headers, category="vip") == [wanjiru["id"]]
    assert sorted(await list_ids(client, headers, category="vip", status="any")) == sorted(
        [wanjiru["id"], archived["id"]]
    )
    assert await list_ids(client, headers, category="none-such") == []


async def _all_pages(
    client: httpx.AsyncClient, headers: dict[str, str], sort: str
) -> list[list[str]]:
    pages: list[list[str]] = []
    cursor: str | None = None
    for _ in range(10):
        params: dict[str, Any] = {"limit": 2, "sort": sort}
        if cursor:
            params["cursor"] = cursor
        response = await client.get("/v1/contacts", params=params, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append([item["id"] for item in body["items"]])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
    raise AssertionError(f"pagination did not end: {pages}")


async def test_cursor_pagination_returns_every_contact_once_in_order(
    client: httpx.AsyncClient, auth: Auth, org: str
) -> None:
    """Keyset pages never skip or repeat a contact, for both date and name sort orders."""
    headers = auth(org)
    names = ["Cara", "alice", "Eve", "bob", "Dave"]
    created = [
        await create(client, headers, phone=p, name=n)
        for p, n in zip(phones(5), names, strict=True)
    ]

    by_date = sorted(created, key=lambda c: (as_utc(c["created_at"]), c["id"]), reverse=True)
    by_name = sorted(created, key=lambda c: (c["name"].casefold(), c["id"]))
    expectations = {"-created_at": by_date, "name": by_name}
    for sort, expected in expectations.items():
        pages = await _all_pages(client, headers, sort)
        assert [len(page) for page in pages] == [2, 2, 1], (sort, pages)
        flat = [contact_id for page in pages for contact_id in page]
        assert flat == [c["id"] for c in expected], sort
    assert [c["name"] for c in by_name] == ["alice", "bob", "Cara", "Dave", "Eve"]


async def test_invalid_cursor_and_limit_are_refused(
    client: httpx.AsyncClient, auth: Auth, org: str
) -> None:
    """A cursor that was not produced for this sort order is a client error, not a 500."""
    headers = auth(org)
    for p in phones(3):
        await create(client, headers, phone=p, name="Same")
    first = await client.get("/v1/contacts", params={"limit": 1, "sort": "name"}, headers=headers)
    name_cursor = first.json()["next_cursor"]
    assert name_cursor

    bad_cursors = [
        "not-a-cursor",
        "%%%",
        encode_raw_cursor([1, 2]),
        encode_raw_cursor(["-created_at", {"t": "dt", "v": "yesterday"}, "x"]),
        encode_raw_cursor(["-created_at", {"v": "2024-01-01"}, 7]),
        name_cursor,  # made for sort=name, used with the default sort
    ]
    for cursor in bad_cursors:
        response = await client.get("/v1/contacts", params={"cursor": cursor}, headers=headers)
        assert response.status_code == 400, (cursor, response.text)
        assert error_of(response)["code"] == "invalid_cursor", cursor

    for limit in (0, 501):
        response = await client.get("/v1/contacts", params={"limit": limit}, headers=headers)
        assert response.status_code == 422, limit
        assert error_of(response)["code"] == "validation_error"
    assert (
        await client.get("/v1/contacts", params={"limit": 500}, headers=headers)
    ).status_code == 200


async def test_cursor_with_an_object_value_is_refused_as_invalid(
    client: httpx.AsyncClient, auth: Auth, org: str
) -> None:
    """The cursor is client input: a value that is a query document must not reach the store."""
    headers = auth(org)
    await create(client, headers, phone=new_phone()[0], name="Someone")
    forged = {
        "-created_at": encode_raw_cursor(["-created_at", {"v": {"$bogus": 1}}, "zzzz"]),
        "name": encode_raw_cursor(["name", {"v": {"$exists": True}}, ""]),
    }
    outcomes: dict[str, str] = {}
    for sort, cursor in forged.items():
        try:
            response = await client.get(
                "/v1/contacts", params={"cursor": cursor, "sort": sort}, headers=headers
            )
        except Exception as exc:  # the in-process transport re-raises unhandled app errors
            outcomes[sort] = f"unhandled {type(exc).__name__}: {exc}"[:160]
            continue
        code = response.json().get("error", {}).get("code") if response.content else None
        items = len(response.json().get("items", [])) if response.status_code == 200 else 0
        outcomes[sort] = f"{response.status_code} {code} items={items}"
    assert outcomes == {sort: "400 invalid_cursor items=0" for sort in forged}


# --- update -----------------------------------------------------------------------------------


async def test_patch_changes_fields_and_publishes_only_what_changed(
    client: httpx.AsyncClient, auth: Auth, org: str, settings: ServiceSettings
) -> None:
    """Consumers get a ContactUpdated that names only the changed fields."""
    headers = auth(org)
    contact = await create(
        client, headers, phone=new_phone()[0], name="Before", email="same@example.org"
    )
    await define_field(client, headers, "District", "district")
    await define_field(client, headers, "Age", "number")

    async with TopicTail(
        settings.kafka_bootstrap, settings.kafka_topic_prefix + CONTACTS_TOPIC
    ) as tail:
        response = await client.patch(
            f"/v1/contacts/{contact['id']}",
            json={
                "name": "After",
                "email": "same@example.org",
                "category": "vip",
                "fields": {"district": "Nakuru", "age": 31},
                "version": 1,
            },
            headers=headers,
        )
        assert response.status_code == 200, response.text
        updated = response.json()
        assert updated["name"] == "After"
        assert updated["category"] == "vip"
        assert updated["fields"] == {
            "district": {"text": "Nakuru", "type": "district", "value": "Nakuru"},
            "age": {"text": "31", "type": "number", "value": 31},
        }
        assert updated["email"] == "same@example.org"
        assert updated["phone"] == contact["phone"]
        assert updated["version"] == 2

        [event] = await tail.wait_for(event_for("ContactUpdated", contact["id"]))
        assert set(event["data"]) == {
            "contact_id",
            "updated_at",
            "name",
            "category",
            "fields",
            "actor",
        }
        assert event["data"]["name"] == "After"
        assert event["data"]["category"] == "vip"
        assert event["data"]["fields"] == updated["fields"]
        assert event["subject"] == contact["id"]
        assert event["orgid"] == org
        assert event["sequence"] == 2
        await tail.drain(1.0)
        assert (
            len([e for e in tail.envelopes() if event_for("ContactUpdated", contact["id"])(e)]) == 1
        )

    stored = await get(client, headers, contact["id"])
    assert stored.json() == updated

    unchanged = await client.patch(
        f"/v1/contacts/{contact['id']}", json={"name": "After"}, headers=headers
    )
    assert unchanged.status_code == 200
    assert unchanged.json()["version"] == 2


async def test_patch_with_a_stale_version_is_refused(
    client: httpx.AsyncClient, auth: Auth, org: str
) -> None:
    """Optimistic concurrency: a writer that read version 1 cannot overwrite version 2."""
    headers = auth(org)
    contact = await create(client, headers, phone=new_phone()[0], name="One")
    url = f"/v1/contacts/{contact['id']}"
    first = await client.patch(url, json={"name": "Two", "version": 1}, headers=headers)
    assert first.status_code == 200
    assert first.json()["version"] == 2

    stale = await client.patch(url, json={"name": "Three", "version": 1}, headers=headers)
    assert stale.status_code == 409
    error = error_of(stale)
    assert error["code"] == "version_conflict"
    assert error["details"]["current_version"] == 2
    current = (await get(client, headers, contact["id"])).json()
    assert (current["name"], current["version"]) == ("Two", 2)


async def test_patch_phone_to_another_contacts_phone_is_a_duplicate(
    client: httpx.AsyncClient, auth: Auth, org: str
) -> None:
    """Uniqueness holds on update too, and the refused change leaves the contact as it was."""
    headers = auth(org)
    p1, p2, p3 = phones(3)
    first = await create(client, headers, phone=p1)
    second = await create(client, headers, phone=p2)

    response = await client.patch(
        f"/v1/contacts/{second['id']}", json={"phone": p1}, headers=headers
    )
    assert response.status_code == 409, response.text
    assert error_of(response)["code"] == "duplicate_phone"
    assert error_of(response)["details"]["existing_id"] == first["id"]
    assert (await get(client, headers, second["id"])).json() == second

    moved = await client.patch(f"/v1/contacts/{second['id']}", json={"phone": p3}, headers=headers)
    assert moved.status_code == 200
    assert (moved.json()["phone"], moved.json()["version"]) == (p3, 2)
    assert (await get(client, headers, "no-such-contact")).status_code == 404


# --- status and actions ---------------------------------------------------------------------


async def test_stopping_records_the_opt_out_and_publishes_the_status_change(
    client: httpx.AsyncClient, auth: Auth, org: str, settings: ServiceSettings
) -> None:
    """STOP is consent withdrawn: the opt-out is recorded and announced with who and why."""
    headers = auth(org, "staff", user="agent-7")
    contact = await create(client, auth(org), phone=new_phone()[0], opt_in=True)
    # Restricted staff reach only contacts of the groups assigned to them.
    group = await assign_staff(settings, org, "agent-7", [contact["id"]])
    await wait_for_groups(client, headers, contact["id"], group)

    async with TopicTail(
        settings.kafka_bootstrap, settings.kafka_topic_prefix + CONTACTS_TOPIC
    ) as tail:
        response = await client.post(
            f"/v1/contacts/{contact['id']}/status",
            json={"status": "stopped", "reason": "replied STOP"},
            headers=headers,
        )
        assert response.status_code == 200, response.text
        stopped = response.json()
        assert stopped["status"] == "stopped"
        assert stopped["opt_in"]["status"] == "opted_out"
        assert stopped["opt_in"]["opted_out_at"] is not None
        assert stopped["opt_in"]["opted_in_at"] == contact["opt_in"]["opted_in_at"]
        assert stopped["version"] == 2

        [event] = await tail.wait_for(event_for("ContactStatusChanged", contact["id"]))
        data = event["data"]
        assert (data["from_status"], data["to_status"]) == ("active", "stopped")
        assert data["reason"] == "replied STOP"
        assert data["actor"] == "staff:agent-7"
        assert data["opt_in"]["status"] == "opted_out"

    assert await list_ids(client, headers) == []
    assert await list_ids(client, headers, status="stopped") == [contact["id"]]


async def test_archived_contacts_leave_the_default_list(
    client: httpx.AsyncClient, auth: Auth, org: str
) -> None:
    """Archiving hides a contact from everyday views without deleting it."""
    headers = auth(org)
    p1, p2 = phones(2)
    kept = await create(client, headers, phone=p1)
    archived = await create(client, headers, phone=p2)
    response = await client.post(
        f"/v1/contacts/{archived['id']}/status",
        json={"status": "archived", "reason": "moved away"},
        headers=headers,
    )
    assert response.status_code == 200
    assert response.json()["status"] == "archived"
    assert await list_ids(client, headers) == [kept["id"]]
    assert await list_ids(client, headers, status="archived") == [archived["id"]]

    invalid = await client.post(
        f"/v1/contacts/{kept['id']}/status", json={"status": "deleted"}, headers=headers
    )
    assert invalid.status_code == 422
    missing = await client.post(
        "/v1/contacts/no-such-id/status", json={"status": "archived"}, headers=headers
    )
    assert missing.status_code == 404
    assert error_of(missing)["code"] == "not_found"


async def _action(
    client: httpx.AsyncClient, headers: dict[str, str], action: str, ids: list[str]
) -> dict[str, Any]:
    response = await client.post(
        "/v1/contacts/actions", json={"action": action, "ids": ids}, headers=headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["action"] == action
    assert [r["id"] for r in body["results"]] == list(dict.fromkeys(ids))
    return body


def _outcomes(body: dict[str, Any]) -> list[str]:
    return [
        r["error"]["code"] if r["status"] == "error" else r.get("contact_status", r["status"])
        for r in body["results"]
    ]


async def test_bulk_actions_report_each_id(client: httpx.AsyncClient, auth: Auth, org: str) -> None:
    """Each id succeeds or fails on its own; unknown ids and impossible transitions are named."""
    headers = auth(org)
    one, two, three = [(await create(client, headers, phone=p))["id"] for p in phones(3)]
    unknown = "00000000-0000-0000-0000-000000000000"

    blocked = await _action(client, headers, "block", [one, unknown, three])
    assert _outcomes(blocked) == ["blocked", "not_found", "blocked"]
    assert (blocked["succeeded"], blocked["failed"]) == (2, 1)

    unblocked = await _action(client, headers, "unblock", [one, two])
    assert _outcomes(unblocked) == ["active", "invalid_status_transition"]
    assert (unblocked["succeeded"], unblocked["failed"]) == (1, 1)

    assert _outcomes(await _action(client, headers, "archive", [one, three])) == [
        "archived",
        "archived",
    ]
    assert _outcomes(await _action(client, headers, "restore", [one, two])) == [
        "active",
        "invalid_status_transition",
    ]
    stopped = await _action(client, headers, "stop", [two])
    assert _outcomes(stopped) == ["stopped"]
    assert (await get(client, headers, two)).json()["opt_in"]["status"] == "opted_out"

    deleted = await _action(client, headers, "delete", [one, three, unknown])
    assert _outcomes(deleted) == ["not_archived", "deleted", "not_found"]
    assert (deleted["succeeded"], deleted["failed"]) == (1, 2)

    assert (await get(client, headers, three)).status_code == 404
    assert (await get(client, headers, one)).json()["status"] == "active"
    assert (await get(client, headers, two)).json()["status"] == "stopped"
    assert sorted(await list_ids(client, headers, status="any")) == sorted([one, two])


# --- delete and anonymize ---------------------------------------------------------------------


async def test_delete_only_archived_then_gone_and_phone_reusable(
    client: httpx.AsyncClient, auth: Auth, org: str, settings: ServiceSettings
) -> None:
    """Deleting needs archiving first; afterwards the contact is gone and its phone is free."""
    headers = auth(org)
    e164, _ = new_phone()
    contact = await create(client, headers, phone=e164, name="To Delete")
    url = f"/v1/contacts/{contact['id']}"

    active = await client.delete(url, headers=headers)
    assert active.status_code == 409
    assert error_of(active)["code"] == "not_archived"
    assert (await get(client, headers, contact["id"])).status_code == 200

    archived = await client.post(f"{url}/status", json={"status": "archived"}, headers=headers)
    assert archived.status_code == 200

    async with TopicTail(
        settings.kafka_bootstrap, settings.kafka_topic_prefix + CONTACTS_TOPIC
    ) as tail:
        deleted = await client.delete(url, headers=headers)
        assert deleted.status_code == 204
        assert deleted.content == b""
        [event] = await tail.wait_for(event_for("ContactDeleted", contact["id"]))
        assert event["data"]["actor"] == "admin:tester"
        assert event["orgid"] == org
        assert e164[1:] not in json.dumps(event)

    gone = await get(client, headers, contact["id"])
    assert gone.status_code == 404
    assert error_of(gone)["code"] == "not_found"
    assert (await client.delete(url, headers=headers)).status_code == 404
    assert await list_ids(client, headers, status="any") == []

    reused = await create(client, headers, phone=e164, name="New Owner")
    assert reused["id"] != contact["id"]
    assert reused["phone"] == e164


async def test_anonymize_removes_personal_data_and_the_event_carries_none(
    client: httpx.AsyncClient, auth: Auth, org: str, settings: ServiceSettings
) -> None:
    """Right to erasure: the contact keeps no PII and the event announcing it leaks none."""
    headers = auth(org)
    e164, _ = new_phone()
    await define_field(client, headers, "District", "district")
    contact = await create(
        client,
        headers,
        phone=e164,
        secondary_phone=new_phone()[0],
        name="Zawadi Mwangi",
        email="zawadi@example.org",
        fields={"district": "Mombasa"},
    )
    url = f"/v1/contacts/{contact['id']}"

    async with TopicTail(
        settings.kafka_bootstrap, settings.kafka_topic_prefix + CONTACTS_TOPIC
    ) as tail:
        response = await client.post(f"{url}/anonymize", headers=headers)
        assert response.status_code == 200, response.text
        anonymized = response.json()
        assert anonymized["name"].startswith("anon-")
        assert anonymized["name"] != "anon-"
        assert anonymized["phone"] is None
        assert anonymized["secondary_phone"] is None
        assert anonymized["email"] is None
        assert anonymized["fields"] == {}
        assert anonymized["anonymized"] is True

        [event] = await tail.wait_for(event_for("ContactAnonymized", contact["id"]))
        assert set(event["data"]) == {"contact_id", "actor", "anonymized_at"}
        [record] = [
            r
            for r in tail.records
            if r.value is not None
            and event_for("ContactAnonymized", contact["id"])(json.loads(r.value))
        ]
        raw = record.value.decode()
        for secret in (e164[4:], "Zawadi", "Mwangi", "zawadi@example.org", "Mombasa"):
            assert secret not in raw, secret

    assert (await get(client, headers, contact["id"])).json() == anonymized
    assert await list_ids(client, headers, q=e164[4:]) == []

    again = await client.post(f"{url}/anonymize", headers=headers)
    assert again.status_code == 409
    assert error_of(again)["code"] == "contact_anonymized"
    patch = await client.patch(url, json={"name": "Back"}, headers=headers)
    assert patch.status_code == 409

    reused = await create(client, headers, phone=e164)
    assert reused["id"] != contact["id"]


# --- organisation -----------------------------------------------------------------------------


async def test_organization_defaults_and_update_event(
    client: httpx.AsyncClient, auth: Auth, org: str, settings: ServiceSettings
) -> None:
    """Settings start at safe defaults; a change is published keyed by the organisation."""
    headers = auth(org)
    defaults = await client.get("/v1/organization", headers=headers)
    assert defaults.status_code == 200
    assert defaults.json() == {
        "id": org,
        "name": None,
        "default_country": None,
        "default_language": None,
        "timezone": "UTC",
        "version": 0,
    }

    async with TopicTail(
        settings.kafka_bootstrap, settings.kafka_topic_prefix + ORGANIZATIONS_TOPIC
    ) as tail:
        response = await client.patch(
            "/v1/organization",
            json={
                "name": "Acme Health",
                "default_country": "ke",
                "default_language": "SWA",
                "timezone": "Africa/Nairobi",
            },
            headers=headers,
        )
        assert response.status_code == 200, response.text
        expected = {
            "id": org,
            "name": "Acme Health",
            "default_country": "KE",
            "default_language": "swa",
            "timezone": "Africa/Nairobi",
            "version": 1,
        }
        assert response.json() == expected

        [event] = await tail.wait_for(
            lambda e: e.get("type") == EVENT + "OrganizationUpdated" and e.get("orgid") == org
        )
        [record] = [r for r in tail.records if r.key == org.encode()]
        assert json.loads(record.value)["id"] == event["id"]
        assert event["subject"] == org
        assert event["data"]["org_id"] == org
        assert sorted(event["data"]["changed"]) == sorted(
            ["name", "default_country", "default_language", "timezone"]
        )
        assert event["data"]["timezone"] == "Africa/Nairobi"

    assert (await client.get("/v1/organization", headers=headers)).json() == expected


async def test_organization_refuses_invalid_values(
    client: httpx.AsyncClient, auth: Auth, org: str
) -> None:
    """Unknown countries, time zones and languages would break every contact that uses them."""
    headers = auth(org)
    invalid = [
        {"default_country": "XX"},
        {"default_country": "Kenya"},
        {"timezone": "Mars/Olympus_Mons"},
        {"timezone": None},
        {"default_language": "Blorgish"},
        {"default_language": "e1"},
    ]
    for body in invalid:
        response = await client.patch("/v1/organization", json=body, headers=headers)
        assert response.status_code == 422, (body, response.text)
        assert error_of(response)["code"] == "invalid_value", body
    unknown = await client.patch("/v1/organization", json={"colour": "red"}, headers=headers)
    assert unknown.status_code == 422
    settings_now = (await client.get("/v1/organization", headers=headers)).json()
    assert (settings_now["version"], settings_now["timezone"]) == (0, "UTC")
    assert settings_now["default_country"] is None


# --- roles ------------------------------------------------------------------------------------


async def test_staff_cannot_delete_anonymize_or_change_settings(
    client: httpx.AsyncClient, auth: Auth, org: str, settings: ServiceSettings
) -> None:
    """Destructive and organisation-wide operations are for managers and admins only."""
    admin, staff = auth(org), auth(org, "staff")
    contact = await create(client, admin, phone=new_phone()[0], name="Protected")
    group = await assign_staff(settings, org, "tester", [contact["id"]])
    await wait_for_groups(client, staff, contact["id"], group)
    url = f"/v1/contacts/{contact['id']}"
    archived = await client.post(f"{url}/status", json={"status": "archived"}, headers=staff)
    assert archived.status_code == 200, archived.text
    before = archived.json()

    attempts = [
        await client.delete(url, headers=staff),
        await client.post(f"{url}/anonymize", headers=staff),
        await client.post(
            "/v1/contacts/actions", json={"action": "delete", "ids": [contact["id"]]}, headers=staff
        ),
        await client.patch("/v1/organization", json={"timezone": "Africa/Nairobi"}, headers=staff),
    ]
    for response in attempts:
        assert response.status_code == 403, (response.request.url, response.text)
        assert error_of(response)["code"] == "forbidden"
    assert (await get(client, admin, contact["id"])).json() == before
    assert (await client.get("/v1/organization", headers=admin)).json()["timezone"] == "UTC"

    restored = await _action(client, staff, "restore", [contact["id"]])
    assert _outcomes(restored) == ["active"]


async def test_manager_may_delete_but_not_change_settings(
    client: httpx.AsyncClient, auth: Auth, org: str
) -> None:
    """Managers handle the contact lifecycle; organisation settings stay with admins."""
    manager = auth(org, "manager")
    first, second = [(await create(client, manager, phone=p))["id"] for p in phones(2)]
    archived = await _action(client, manager, "archive", [first, second])
    assert _outcomes(archived) == ["archived", "archived"]

    assert (await client.delete(f"/v1/contacts/{first}", headers=manager)).status_code == 204
    assert _outcomes(await _action(client, manager, "delete", [second])) == ["deleted"]
    assert await list_ids(client, manager, status="any") == []

    settings_change = await client.patch(
        "/v1/organization", json={"timezone": "Africa/Nairobi"}, headers=manager
    )
    assert settings_change.status_code == 403
