"""Outside tools accept our events: a record of every event type, as the producer writes it, is
read by the CloudEvents SDK's Kafka binding (structured mode), validates against its published
schema, and still does with extension attributes (trace context) that our consumers carry."""

from __future__ import annotations

import json
import types
import typing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import jsonschema
import pytest
from cloudevents.core.bindings.kafka import KafkaMessage, from_kafka
from cloudevents.core.formats.json import JSONFormat
from pydantic import BaseModel

from shared.contracts.envelope import (
    SCHEMA_BASE_URI,
    EventEnvelope,
    EventPayload,
    schema_path,
    wrap,
)
from shared.contracts.registry import EVENT_TYPES
from shared.kafka.consumer import decode_record
from shared.kafka.producer import record_headers
from shared.messagebus import UnprocessableMessage

DOCS = Path(__file__).resolve().parents[2] / "docs" / "events"
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def example_value(annotation: Any) -> Any:
    """A minimal valid value of a payload field's type (required fields only are filled)."""
    origin = get_origin(annotation)
    if origin is Literal:
        return get_args(annotation)[0]
    if origin in (types.UnionType, typing.Union):
        return (
            None if type(None) in get_args(annotation) else example_value(get_args(annotation)[0])
        )
    if origin is list:  # one item: some lists may not be empty
        return [example_value(get_args(annotation)[0])]
    if origin is dict:
        return {}
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return example(annotation)
    return {str: "x-1", int: 1, bool: True, datetime: NOW}[annotation]


def example(cls: type[BaseModel]) -> dict[str, Any]:
    return {
        name: example_value(field.annotation)
        for name, field in cls.model_fields.items()
        if field.is_required()
    }


def every_field(cls: type[BaseModel]) -> dict[str, Any]:
    """A valid value for every field, optional ones included (none left to its default)."""
    return {
        name: example_value(_not_none(field.annotation)) for name, field in cls.model_fields.items()
    }


def _not_none(annotation: Any) -> Any:
    if get_origin(annotation) in (types.UnionType, typing.Union):
        return next(arg for arg in get_args(annotation) if arg is not type(None))
    return annotation


def record_of(payload: EventPayload) -> KafkaMessage:
    """The record exactly as the relay publishes it (value and headers)."""
    envelope = wrap(payload, source="roster/test", subject="s-1", org_id="org-1", sequence=3)
    headers = dict(record_headers(envelope.type))
    return KafkaMessage(headers=headers, key=b"s-1", value=envelope.model_dump_json().encode())


@pytest.mark.parametrize("cls", EVENT_TYPES, ids=lambda c: c.event_type)
def test_the_cloudevents_sdk_reads_a_record_of_every_event_type(cls: type[EventPayload]) -> None:
    payload = cls.model_validate(example(cls))
    message = record_of(payload)

    event = from_kafka(message, JSONFormat())

    attributes = event.get_attributes()
    assert attributes["specversion"] == "1.0"
    assert attributes["type"] == f"org.roster.{cls.event_type}"
    assert attributes["source"] == "roster/test"
    assert attributes["subject"] == "s-1"
    assert attributes["dataschema"] == SCHEMA_BASE_URI + schema_path(
        cls.event_type, cls.schema_version
    )
    assert attributes["orgid"] == "org-1" and attributes["sequence"] == 3
    assert event.get_data() == json.loads(message.value)["data"]


@pytest.mark.parametrize("cls", EVENT_TYPES, ids=lambda c: c.event_type)
def test_every_record_validates_against_its_published_schema_with_trace_context(
    cls: type[EventPayload],
) -> None:
    document = json.loads(record_of(cls.model_validate(example(cls))).value)
    schema = json.loads((DOCS / schema_path(cls.event_type, cls.schema_version)).read_text())
    jsonschema.Draft202012Validator.check_schema(schema)

    jsonschema.validate(document, schema)
    traced = {**document, "traceparent": TRACEPARENT, "tracestate": "roster=1"}
    jsonschema.validate(traced, schema)
    for required in ("id", "specversion", "source", "type"):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({k: v for k, v in document.items() if k != required}, schema)
    with pytest.raises(jsonschema.ValidationError):  # not a CloudEvents attribute name
        jsonschema.validate({**document, "Trace-Parent": TRACEPARENT}, schema)


def test_our_consumers_accept_extension_attributes_and_refuse_bad_names() -> None:
    cls = EVENT_TYPES[0]
    document = json.loads(record_of(cls.model_validate(example(cls))).value)

    received = decode_record(json.dumps({**document, "traceparent": TRACEPARENT}).encode())
    assert received.org_id == "org-1" and received.sequence == 3

    with pytest.raises(Exception, match="attribute name"):
        decode_record(json.dumps({**document, "Trace-Parent": TRACEPARENT}).encode())


def test_structured_records_carry_no_binary_mode_headers() -> None:
    """A `ce_` header would make CloudEvents tools read the record in binary mode."""
    headers = dict(record_headers("org.roster.ContactCreated"))
    assert headers["content-type"].startswith(b"application/cloudevents+json")
    assert not [name for name in headers if name.startswith("ce_")]


@pytest.mark.parametrize("cls", EVENT_TYPES, ids=lambda c: c.event_type)
def test_a_wrapped_event_is_what_validation_would_have_built(cls: type[EventPayload]) -> None:
    """`wrap` builds the envelope without validating it: the result must be exactly the
    envelope a validated build gives, attribute for attribute and byte for byte."""
    payload = cls.model_validate(example(cls))
    traced = {"traceparent": TRACEPARENT}
    envelope = wrap(payload, source="roster/test", subject="s-1", org_id="o", extensions=traced)

    validated = EventEnvelope.model_validate(envelope.model_dump())

    assert validated.model_dump() == envelope.model_dump()
    assert validated.model_dump_json() == envelope.model_dump_json()
    assert envelope.model_extra == traced


def test_wrap_refuses_what_the_envelope_refuses() -> None:
    payload = EVENT_TYPES[0].model_validate(example(EVENT_TYPES[0]))
    with pytest.raises(ValueError, match="attribute name"):
        wrap(payload, source="s", subject="s-1", org_id="o", extensions={"Trace-Parent": "x"})
    for missing in ("source", "subject", "org_id"):
        attributes = {"source": "s", "subject": "s-1", "org_id": "o", missing: ""}
        with pytest.raises(ValueError, match="source, subject and organisation"):
            wrap(payload, **attributes)


@pytest.mark.parametrize("cls", EVENT_TYPES, ids=lambda c: c.event_type)
def test_decoding_told_the_type_by_the_header_gives_what_decoding_the_value_alone_gives(
    cls: type[EventPayload],
) -> None:
    """The consumer parses envelope and payload in one pass when the type header names the
    type: whatever the payload holds, the message must be the one the general path builds."""
    for fields in (example(cls), every_field(cls)):
        value = record_of(cls.model_validate(fields)).value

        told = decode_record(value, cls.event_type)

        assert told == decode_record(value)
        assert type(told.payload) is cls


def test_a_header_that_contradicts_the_value_changes_nothing() -> None:
    created, other = EVENT_TYPES[0], EVENT_TYPES[1]
    document = json.loads(record_of(created.model_validate(example(created))).value)
    value = json.dumps(document).encode()
    assert decode_record(value, other.event_type) == decode_record(value)
    assert type(decode_record(value, other.event_type).payload) is created

    unknown_version = json.dumps({**document, "schemaversion": 99}).encode()
    with pytest.raises(UnprocessableMessage, match="v99"):
        decode_record(unknown_version, created.event_type)


def test_a_record_the_header_names_but_the_contract_refuses_is_refused_the_same_way() -> None:
    cls = EVENT_TYPES[0]
    document = json.loads(record_of(cls.model_validate(example(cls))).value)
    for broken in (
        {**document, "data": {**document["data"], "unexpected": 1}},
        {**document, "data": {}},
        {**document, "Trace-Parent": TRACEPARENT},
        {k: v for k, v in document.items() if k != "orgid"},
    ):
        value = json.dumps(broken).encode()
        with pytest.raises(UnprocessableMessage) as general:
            decode_record(value)
        with pytest.raises(UnprocessableMessage) as told:
            decode_record(value, cls.event_type)
        assert str(told.value) == str(general.value)
