"""The published event contract: committed schemas are current and envelopes validate."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest

from shared.contracts.contacts import ContactCreated, OptInRecord
from shared.contracts.envelope import wrap
from shared.contracts.registry import EVENT_TYPES, parse_payload
from shared.contracts.schemas import render_all

DOCS = Path(__file__).resolve().parents[2] / "docs" / "events"


@pytest.mark.parametrize("name", sorted(render_all()))
def test_committed_schema_files_are_current(name: str) -> None:
    committed = DOCS / name
    assert committed.is_file(), f"{name} is missing: run `make schemas`"
    assert committed.read_text(encoding="utf-8") == render_all()[name], (
        f"{name} is stale: run `make schemas` and commit the result"
    )


def test_every_event_type_has_a_schema() -> None:
    files = set(render_all())
    for cls in EVENT_TYPES:
        assert f"{cls.event_type}.v{cls.schema_version}.schema.json" in files


def test_an_envelope_validates_against_its_schema_and_round_trips() -> None:
    payload = ContactCreated(
        contact_id="c1",
        name=None,
        phone="+254712345678",
        secondary_phone=None,
        email=None,
        category=None,
        language="swa",
        fields={"age": {"text": "3", "type": "number", "value": 3}},
        status="active",
        opt_in=OptInRecord(),
        created_at=datetime.now(UTC),
    )
    envelope = wrap(payload, source="roster/contacts", subject="c1", org_id="o1", sequence=1)
    document = json.loads(envelope.model_dump_json())
    schema = json.loads((DOCS / "ContactCreated.v1.schema.json").read_text())
    jsonschema.validate(document, schema)
    assert parse_payload(envelope) == payload
    broken = {**document, "data": {**document["data"], "phone": 12}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)
