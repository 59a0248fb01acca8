"""A flow started for the contacts a query matches, as RapidPro's "start for contacts matching"
does: the query in RapidPro's printed form, read by the flows service against its own copies of
the organisation's fields (from `roster.organizations` and the fields' events) and contacts."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import TokenFactory
from tests.support.contacts_api import create, define_field, phones
from tests.support.eventually import eventually
from tests.support.flows import export_file, survey_flow
from tests.support.groups_api import create_group


async def test_a_flow_starts_for_the_contacts_a_rapidpro_query_matches(
    client: httpx.AsyncClient,
    groups_client: httpx.AsyncClient,
    flows_client: httpx.AsyncClient,
    auth: TokenFactory,
    org: str,
) -> None:
    headers = auth(org)
    await define_field(client, headers, "Age", "number")
    adult_phone, child_phone, unknown_phone = phones(3)
    await create(client, headers, phone=adult_phone, name="Ada", fields={"age": 30})
    await create(client, headers, phone=child_phone, name="Cy", fields={"age": 12})
    await create(client, headers, phone=unknown_phone, name="Ann")
    await create_group(groups_client, headers, "Survey completed")

    async def imported() -> httpx.Response:
        survey = survey_flow(("0c9d7e2b-rapidpro", "Survey completed"))
        return await flows_client.post(
            "/v1/flows/import", json=export_file(survey), headers=headers
        )

    [flow] = (await eventually(imported, lambda r: r.json().get("created") != [])).json()["created"]
    url = f"/v1/flows/{flow['id']}/start/preview"

    async def preview(query: str) -> dict[str, Any]:
        body = {"channel_id": "ch-1", "query": query}
        response = await flows_client.post(url, json=body, headers=headers)
        return {"status": response.status_code, **response.json()}

    adults = await eventually(
        lambda: preview("fields.age >= 18"), lambda p: p["status"] == 200 and p["started"] == 1
    )
    assert adults["skipped"] == {}
    by_urn = await preview(f'urns.tel = "{adult_phone}" OR name = "Cy"')
    assert (by_urn["status"], by_urn["started"]) == (200, 2)
    short = await preview('name ~ "a"')  # RapidPro searches names by 2 characters or more
    assert (short["status"], short["error"]["code"]) == (422, "invalid_partial_name")

    refused = await preview("urns.twitter = ada")
    assert refused["status"] == 422
    assert refused["error"]["code"] == "unknown_property"
    too_long = await preview('name = "' + "x" * 10_000 + '"')
    assert too_long["error"]["code"] == "too_complex"
    assert too_long["error"]["details"] == {"limit": 10_000}
