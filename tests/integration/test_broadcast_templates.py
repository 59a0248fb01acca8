"""Templates and query audiences for real: contacts with custom fields and languages made
through the contacts service reach the dispatcher over Kafka; a contactql query selects them on
the real store (the same filter the contacts service runs); a template is said to each in their
language with their values, and reaches a WhatsApp Cloud API played by a real server as Meta's
template message."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import TokenFactory
from tests.support.contacts_api import create, define_field, phones
from tests.support.eventually import eventually
from tests.support.fake_provider import running_provider


async def _json(response: httpx.Response, status: int) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def test_templates_are_kept_whole_and_written_by_admins_and_managers(
    dispatcher_client: httpx.AsyncClient, auth: TokenFactory, org: str
) -> None:
    admin, staff = auth(org), auth(org, "staff", "sam")
    first_name = {"value": "@contact.first_name", "fallback": "parent"}
    body = {"name": "class_reminder", "category": "utility",
            "variants": {"en": "Hi {{1}}", "swa": "Habari {{1}}"},
            "parameters": {"1": first_name}}  # fmt: skip
    refused = await dispatcher_client.post("/v1/templates", json=body, headers=staff)
    assert refused.status_code == 403
    made = await _json(await dispatcher_client.post("/v1/templates", json=body, headers=admin), 201)
    assert made["variants"] == {"eng": "Hi {{1}}", "swa": "Habari {{1}}"}
    assert made["parameters"] == {"1": {"value": "@contact.first_name", "fallback": "parent"}}
    url = f"/v1/templates/{made['id']}"
    assert (await _json(await dispatcher_client.get(url, headers=staff), 200))["id"] == made["id"]

    mismatch = await dispatcher_client.patch(
        url, json={"variants": {"eng": "Hi {{1}} {{2}}"}}, headers=admin
    )
    assert (await _json(mismatch, 422))["error"]["code"] == "template_parameter_mismatch"
    unknown = await dispatcher_client.patch(
        url, json={"parameters": {"1": "@contact.nickname"}}, headers=admin
    )
    assert (await _json(unknown, 422))["error"]["code"] == "invalid_expression"
    stale = await dispatcher_client.patch(url, json={"name": "x", "version": 9}, headers=admin)
    assert (await _json(stale, 409))["error"]["code"] == "version_conflict"
    renamed = await dispatcher_client.patch(url, json={"name": "reminder", "version": 1},
                                            headers=admin)  # fmt: skip
    assert (await _json(renamed, 200))["version"] == 2
    listed = await _json(await dispatcher_client.get("/v1/templates", headers=admin), 200)
    assert [t["name"] for t in listed["items"]] == ["reminder"]

    assert (await dispatcher_client.delete(url, headers=admin)).status_code == 204
    assert (await dispatcher_client.get(url, headers=admin)).status_code == 404
    other_org = await dispatcher_client.get(url, headers=auth(f"{org}-other"))
    assert other_org.status_code == 404


async def test_a_query_audience_gets_a_template_in_each_contacts_language_over_whatsapp(
    client: httpx.AsyncClient,
    dispatcher_client: httpx.AsyncClient,
    auth: TokenFactory,
    org: str,
) -> None:
    headers = auth(org)
    await define_field(client, headers, "Class")
    numbers = phones(4)
    people = [
        await create(client, headers, phone=numbers[0], name="Amina Otieno", language="eng",
                     opt_in=True, fields={"class": "Maths"}),
        await create(client, headers, phone=numbers[1], name="Baraka", language="swa",
                     opt_in=True, fields={"class": "Maths"}),
        await create(client, headers, phone=numbers[2], name="Claude", language="fra",
                     opt_in=True, fields={"class": "Maths"}),
        await create(client, headers, phone=numbers[3], name="Dora", language="eng",
                     opt_in=True, fields={"class": "Art"}),
    ]  # fmt: skip
    template = await _json(
        await dispatcher_client.post(
            "/v1/templates",
            json={"name": "class_reminder", "category": "utility",
                  "variants": {"eng": "Hi {{name}}, {{class}} starts Monday",
                               "swa": "Habari {{name}}, {{class}} Jumatatu"},
                  "parameters": {"name": "@contact.first_name", "class": "@contact.fields.class"}},
            headers=headers,
        ),
        201,
    )  # fmt: skip
    async with running_provider("unused-signing-key") as provider:
        channel = await _json(
            await dispatcher_client.post(
                "/v1/channels",
                json={"type": "whatsapp_cloud", "name": "Kenya", "tps": 20,
                      "config": {"phone_number_id": "1055", "base_url": provider.base_url},
                      "secrets": {"access_token": provider.access_token,
                                  "app_secret": provider.app_secret, "verify_token": "v"}},
                headers=headers,
            ),
            201,
        )  # fmt: skip
        message = {"query": 'class = "maths"', "channel_id": channel["id"],
                   "template_id": template["id"]}  # fmt: skip

        async def preview() -> dict[str, Any]:
            answer = await dispatcher_client.post(
                "/v1/broadcasts/preview", json=message, headers=headers
            )
            result: dict[str, Any] = await _json(answer, 200)
            return result

        # The contacts and the field reach the dispatcher over Kafka.
        counted = await eventually(preview, lambda r: r["audience"] == 3)
        assert counted["will_receive"] == 2
        assert counted["excluded"]["no_template_language"] == 1  # Claude: French
        assert counted["excluded"]["outside_window"] == 0  # a template goes at any time

        started = await _json(
            await dispatcher_client.post("/v1/broadcasts", json=message, headers=headers), 202
        )
        assert started["template"]["name"] == "class_reminder" and started["text"] is None
        url = f"/v1/broadcasts/{started['id']}"

        async def current() -> dict[str, Any]:
            found: dict[str, Any] = await _json(
                await dispatcher_client.get(url, headers=headers), 200
            )
            return found

        done = await eventually(current, lambda b: b["state"] == "completed", timeout_s=60)
        assert done["counts"]["sent"] == 2 and done["excluded"]["no_template_language"] == 1

    by_phone = {r.to: r.body for r in provider.accepted}
    assert set(by_phone) == {p["phone"].removeprefix("+") for p in people[:2]}
    amina = by_phone[people[0]["phone"].removeprefix("+")]
    assert amina["type"] == "template"
    assert amina["template"]["name"] == "class_reminder"
    assert amina["template"]["language"] == {"code": "en"}
    [body] = amina["template"]["components"]
    assert body["parameters"] == [
        {"type": "text", "parameter_name": "name", "text": "Amina"},
        {"type": "text", "parameter_name": "class", "text": "Maths"},
    ]
    baraka = by_phone[people[1]["phone"].removeprefix("+")]
    assert baraka["template"]["language"] == {"code": "sw"}
