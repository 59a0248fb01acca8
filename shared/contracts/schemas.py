"""Generates the published event contract: one JSON Schema per event type and version, and an
AsyncAPI 3 document naming topics, keys and messages. `roster schemas` writes them to docs/events;
a test fails when the committed files are stale."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from shared.contracts.envelope import (
    CONTENT_TYPE,
    TYPE_PREFIX,
    EventEnvelope,
    EventPayload,
    schema_path,
    schema_uri,
)
from shared.contracts.registry import EVENT_TYPES
from shared.contracts.topics import ALL_TOPICS

# Always present in a Roster event: the CloudEvents context attributes, and Roster's own.
REQUIRED = {"specversion", "id", "source", "type", "subject", "time", "dataschema", "orgid"}


def event_schema(cls: type[EventPayload]) -> dict[str, Any]:
    """The envelope's schema with `type`, `schemaversion` and `data` pinned to one payload."""
    schema = EventEnvelope.model_json_schema()
    payload = cls.model_json_schema()
    defs = {**schema.pop("$defs", {}), **payload.pop("$defs", {})}
    props = schema["properties"]
    props["type"] = {"const": TYPE_PREFIX + cls.event_type, "type": "string"}
    props["schemaversion"] = {"const": cls.schema_version, "type": "integer"}
    props["data"] = payload
    props["dataschema"] = {
        "const": schema_uri(cls.event_type, cls.schema_version),
        "type": "string",
        "format": "uri",
    }
    schema["required"] = sorted(
        set(schema.get("required", [])) | REQUIRED | {"schemaversion", "data"}
    )
    # Extension attributes (traceparent, tracestate, ...): lower-case names, scalar values.
    schema["propertyNames"] = {"pattern": "^[a-z0-9]{1,64}$"}
    schema["additionalProperties"] = {"type": ["string", "integer", "boolean"]}
    schema["title"] = f"{cls.event_type} v{cls.schema_version}"
    schema["description"] = (payload.get("description") or "").strip() or cls.event_type
    schema["x-topic"] = cls.topic
    if defs:
        schema["$defs"] = defs
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": schema_uri(cls.event_type, cls.schema_version),
        **schema,
    }


def asyncapi_document() -> dict[str, Any]:
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages_by_topic: dict[str, dict[str, Any]] = {t.name: {} for t in ALL_TOPICS}
    for cls in EVENT_TYPES:
        messages_by_topic[cls.topic][cls.event_type] = {
            "name": cls.event_type,
            "contentType": CONTENT_TYPE.split(";")[0],
            "payload": {"$ref": "./" + schema_path(cls.event_type, cls.schema_version)},
        }
    for topic in ALL_TOPICS:
        channel_id = topic.name.replace(".", "_")
        channels[channel_id] = {
            "address": topic.name,
            "description": f"{topic.description} Record key: {topic.key}. "
            f"Dead letters: {topic.dead_letter}.",
            "messages": messages_by_topic[topic.name],
            "bindings": {"kafka": {"topic": topic.name}},
        }
        operations[f"consume_{channel_id}"] = {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{channel_id}"},
            "summary": f"Published by the {topic.producer} service, at least once, "
            "in order per key.",
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Roster events",
            "version": "1.0.0",
            "description": "CloudEvents 1.0 envelopes on Apache Kafka, structured content mode "
            "(record header content-type: application/cloudevents+json). "
            "Delivery is at least once: deduplicate on the envelope `id`; "
            "order holds per record key.",
        },
        "channels": channels,
        "operations": operations,
    }


def render_all() -> dict[str, str]:
    """File name → exact file content, for writing and for the staleness test."""
    files = {
        schema_path(cls.event_type, cls.schema_version): _dump(event_schema(cls))
        for cls in EVENT_TYPES
    }
    files["asyncapi.json"] = _dump(asyncapi_document())
    return files


def write_all(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in render_all().items():
        path = directory / name
        path.write_text(content, encoding="utf-8")
        written.append(path)
    return written


def _dump(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"
