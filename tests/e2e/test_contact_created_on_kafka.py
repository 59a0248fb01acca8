"""A contact created over HTTP appears on Kafka as a ContactCreated matching its schema."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import jsonschema

from tests.conftest import TokenFactory
from tests.support.kafka import TopicTail
from tests.support.process import ServiceProcess

SCHEMAS = Path(__file__).resolve().parents[2] / "docs" / "events"


async def test_created_contact_is_published_and_valid(
    contacts_process: ServiceProcess, auth: TokenFactory, org: str
) -> None:
    contacts_process.start()
    schema = json.loads((SCHEMAS / "ContactCreated.v1.schema.json").read_text())
    async with TopicTail(
        contacts_process.env["ROSTER_KAFKA_BOOTSTRAP"],
        contacts_process.env["ROSTER_KAFKA_TOPIC_PREFIX"] + "roster.contacts",
    ) as tail:
        async with httpx.AsyncClient(base_url=contacts_process.url) as http:
            response = await http.post(
                "/v1/contacts",
                json={"name": "Wanjiru", "phone": "+254 722 000 111", "opt_in": True},
                headers=auth(org),
            )
        assert response.status_code == 201, response.text
        contact = response.json()
        [event] = await tail.wait_for(lambda e: e.get("subject") == contact["id"])
        [record] = [r for r in tail.records if json.loads(r.value)["id"] == event["id"]]

    jsonschema.validate(event, schema)
    assert record.key == contact["id"].encode()
    assert event["type"] == "org.roster.ContactCreated"
    assert event["orgid"] == org
    assert event["sequence"] == 1
    assert event["data"]["phone"] == "+254722000111"
    assert event["data"]["name"] == "Wanjiru"
    assert event["data"]["opt_in"]["status"] == "opted_in"
    headers = dict(record.headers)
    assert headers["content-type"] == b"application/cloudevents+json; charset=utf-8"
    assert headers["roster-type"] == b"org.roster.ContactCreated"
    assert not [name for name in headers if name.startswith("ce_")]  # structured mode only
