"""The dispatcher's channels API against a real store: secrets are write-only and sealed at
rest, only admins change channels, every organisation sees only its own, and bad settings
get a code."""

from __future__ import annotations

import httpx

from services.dispatcher.bootstrap import DispatcherService
from tests.conftest import TokenFactory

HTTP_CHANNEL = {
    "type": "http",
    "name": "SMS gateway",
    "config": {"url": "https://sms.example.org/send"},
    "secrets": {"signing_key": "sign-me-0123456789"},
}


async def test_a_channel_s_secrets_are_never_shown_and_are_sealed_in_the_store(
    dispatcher_client: httpx.AsyncClient, dispatcher_service: DispatcherService,
    auth: TokenFactory, org: str,
) -> None:  # fmt: skip
    created = await dispatcher_client.post("/v1/channels", json=HTTP_CHANNEL, headers=auth(org))
    assert created.status_code == 201, created.text
    channel = created.json()
    assert (channel["tps"], channel["requires_opt_in"], channel["version"]) == (50, False, 1)
    assert channel["secrets"] == {"signing_key": "***"}

    listed = await dispatcher_client.get("/v1/channels", headers=auth(org, "staff"))
    assert listed.status_code == 200
    assert [c["id"] for c in listed.json()["items"]] == [channel["id"]]
    assert "sign-me" not in listed.text
    db = dispatcher_service.running.store.client[
        dispatcher_service.settings.database_name("dispatcher")
    ]
    stored = await db["channels"].find_one({"_id": channel["id"]})
    assert stored is not None and "sign-me" not in str(stored)
    assert dispatcher_service.uow.channels is not None
    opened = await dispatcher_service.uow.channels.get(org, channel["id"])
    assert opened is not None and opened.secrets == HTTP_CHANNEL["secrets"]


async def test_admins_change_channels_with_versions_and_others_only_read(
    dispatcher_client: httpx.AsyncClient, auth: TokenFactory, org: str
) -> None:
    admin = auth(org)
    channel = (
        await dispatcher_client.post("/v1/channels", json=HTTP_CHANNEL, headers=admin)
    ).json()
    url = f"/v1/channels/{channel['id']}"

    for role in ("manager", "staff"):
        refused = await dispatcher_client.patch(url, json={"tps": 5}, headers=auth(org, role))
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
        created = await dispatcher_client.post(
            "/v1/channels", json=HTTP_CHANNEL, headers=auth(org, role)
        )
        assert created.status_code == 403

    changed = await dispatcher_client.patch(url, json={"tps": 120, "version": 1}, headers=admin)
    assert changed.status_code == 200 and changed.json()["tps"] == 120
    stale = await dispatcher_client.patch(url, json={"tps": 1, "version": 1}, headers=admin)
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "version_conflict"

    other = auth(org + "-x")
    for request in (
        dispatcher_client.get(url, headers=other),
        dispatcher_client.patch(url, json={"tps": 2}, headers=other),
        dispatcher_client.delete(url, headers=other),
    ):
        response = await request
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "channel_not_found"

    assert (await dispatcher_client.delete(url, headers=admin)).status_code == 204
    assert (await dispatcher_client.get(url, headers=admin)).status_code == 404
    assert (await dispatcher_client.get("/v1/channels", headers=admin)).json()["count"] == 0


async def test_bad_settings_get_a_code_naming_the_field(
    dispatcher_client: httpx.AsyncClient, auth: TokenFactory, org: str
) -> None:
    headers = auth(org)
    no_secret = HTTP_CHANNEL | {"secrets": {}}
    refused = await dispatcher_client.post("/v1/channels", json=no_secret, headers=headers)
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "invalid_channel"
    assert (error["details"]["field"], error["details"]["keys"]) == ("secrets", ["signing_key"])
    unknown_type = await dispatcher_client.post(
        "/v1/channels", json=HTTP_CHANNEL | {"type": "pigeon"}, headers=headers
    )
    assert unknown_type.status_code == 422
    assert unknown_type.json()["error"]["code"] == "validation_error"
    unauthenticated = await dispatcher_client.get("/v1/channels")
    assert unauthenticated.status_code == 401
    assert (await dispatcher_client.get("/readyz")).status_code == 200
