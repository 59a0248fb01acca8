"""A type change whose background work never ran (the process died right after storing it) is
finished by the next process: the definition says `values_pending` until the values follow."""

from __future__ import annotations

import httpx

from services.contacts.bootstrap import ContactsService
from services.contacts.entrypoints.field_values_worker import FieldValuesWorker
from shared.contactql.values import FieldType
from tests.conftest import TokenFactory
from tests.support.contacts_api import create, define_field, phones


async def test_a_restarted_worker_finishes_an_interrupted_type_change(
    client: httpx.AsyncClient, contacts_service: ContactsService, auth: TokenFactory, org: str
) -> None:
    headers = auth(org)
    await define_field(client, headers, "Score", "text")
    numeric_phone, wordy_phone = phones(2)
    numeric = await create(client, headers, phone=numeric_phone, fields={"score": " 12.5 "})
    wordy = await create(client, headers, phone=wordy_phone, fields={"score": "lots"})

    # Exactly what PATCH /v1/fields/score stores, without scheduling the background work,
    # as if the process had died right after the write.
    uow = contacts_service.uow
    definition = await uow.fields.get(org, "score")
    assert definition is not None
    read_version = definition.version
    definition.change({"type": FieldType.NUMBER}, uow.clock())
    await uow.fields.save(definition, read_version)
    pending = (await client.get("/v1/fields/score", headers=headers)).json()
    assert pending["type"] == "number" and pending["values_pending"] is True
    before = (await client.get(f"/v1/contacts/{numeric['id']}", headers=headers)).json()
    assert before["fields"]["score"]["type"] == "text"

    # What the next process builds at start.
    restarted = FieldValuesWorker(uow.fields, contacts_service.running.bus.handle)
    await restarted.start()
    await restarted.idle()
    await restarted.stop()

    done = (await client.get("/v1/fields/score", headers=headers)).json()
    assert done["values_pending"] is False
    assert done["last_conversion"]["converted"] == 1
    assert done["last_conversion"]["cleared"] == 1
    assert done["last_conversion"]["cleared_contacts"] == [wordy["id"]]
    converted = (await client.get(f"/v1/contacts/{numeric['id']}", headers=headers)).json()
    assert converted["fields"]["score"] == {"text": "12.5", "type": "number", "value": 12.5}
    cleared = (await client.get(f"/v1/contacts/{wordy['id']}", headers=headers)).json()
    assert "score" not in cleared["fields"]
    found = await client.get("/v1/contacts", params={"query": "score > 12"}, headers=headers)
    assert [c["id"] for c in found.json()["items"]] == [numeric["id"]]
