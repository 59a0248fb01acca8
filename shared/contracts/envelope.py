"""The one envelope every Roster event travels in: CloudEvents 1.0, structured JSON mode, as the
Kafka protocol binding defines it (the record's `content-type` header names the event format, no
`ce_` headers, so tools read the value and nothing else).

Roster's extension attributes (lowercase, per the CloudEvents naming rules):
- `orgid`: the organisation (tenant) the event belongs to;
- `schemaversion`: the version of the payload schema named by `type`;
- `sequence`: the aggregate's version after the change, so projections can drop stale events.
Other extension attributes (`traceparent`, `tracestate`, ...) are accepted and carried along.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

TYPE_PREFIX = "org.roster."
# Where the JSON Schemas of `docs/events` are published: `dataschema` is this plus the file name.
SCHEMA_BASE_URI = "https://roster.example.org/events/"
# The Kafka record headers: the event format (structured mode), and the type again so that a
# consumer can skip what it does not handle without parsing the value.
CONTENT_TYPE_HEADER = "content-type"
CONTENT_TYPE = "application/cloudevents+json; charset=utf-8"
TYPE_HEADER = "roster-type"
# CloudEvents attribute names: lower-case ASCII letters and digits.
ATTRIBUTE_NAME = re.compile(r"^[a-z0-9]{1,64}$")


class EventPayload(BaseModel):
    """Base of every event payload; subclasses name their type, version, topic and key."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_type: ClassVar[str]
    schema_version: ClassVar[int] = 1
    topic: ClassVar[str]

    def partition_key(self, subject: str) -> str:
        """Events of one aggregate share a key, hence a partition, which keeps them in order."""
        return subject


class EventEnvelope(BaseModel):
    """Extension attributes beyond Roster's are kept as extra fields (`model_extra`)."""

    model_config = ConfigDict(extra="allow")

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(default_factory=lambda: str(uuid.uuid4()), min_length=1)
    source: str = Field(min_length=1, description="The service that produced the event")
    type: str = Field(min_length=1, description="org.roster.<EventType>")
    subject: str = Field(min_length=1, description="The aggregate id; also the Kafka record key")
    time: datetime
    datacontenttype: Literal["application/json"] = "application/json"
    dataschema: str
    orgid: str = Field(min_length=1)
    schemaversion: int = Field(ge=1)
    sequence: int | None = Field(default=None, ge=0)
    data: dict[str, Any]

    @model_validator(mode="after")
    def _extension_names(self) -> EventEnvelope:
        for name, value in (self.model_extra or {}).items():
            _check_extension(name, value)
        return self

    @property
    def event_type(self) -> str:
        return self.type.removeprefix(TYPE_PREFIX)


def _check_extension(name: str, value: object) -> None:
    if not ATTRIBUTE_NAME.match(name):
        raise ValueError(f"{name!r} is not a CloudEvents attribute name")
    if not isinstance(value, str | int | bool):
        raise ValueError(f"extension attribute {name!r} must be a string, integer or bool")


def schema_path(event_type: str, version: int) -> str:
    """Where the JSON Schema of one event type and version is published, relative to docs/events."""
    return f"{event_type}.v{version}.schema.json"


def schema_uri(event_type: str, version: int) -> str:
    """The schema's absolute URI: `dataschema`, and the schema's own `$id`."""
    return SCHEMA_BASE_URI + schema_path(event_type, version)


def wrap(
    payload: EventPayload,
    *,
    source: str,
    subject: str,
    org_id: str,
    sequence: int | None = None,
    time: datetime | None = None,
    extensions: Mapping[str, str] | None = None,
) -> EventEnvelope:
    """`extensions`: further CloudEvents attributes (the trace context).

    Built without validating the whole envelope again: the payload is validated already, and
    the checks below are all the model would add (validating it cost a sixth of an event's
    CPU, and an import announces a thousand contacts per batch)."""
    if not (source and subject and org_id):
        raise ValueError("an event needs its source, subject and organisation")
    extra = dict(extensions or {})
    for name, value in extra.items():
        _check_extension(name, value)
    attributes: dict[str, Any] = {
        **extra,
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": source,
        "type": TYPE_PREFIX + payload.event_type,
        "subject": subject,
        "time": time or datetime.now(UTC),
        "datacontenttype": "application/json",
        "dataschema": schema_uri(payload.event_type, payload.schema_version),
        "orgid": org_id,
        "schemaversion": payload.schema_version,
        "sequence": sequence,
        "data": payload.model_dump(mode="json", exclude_unset=True),
    }
    return EventEnvelope.model_construct(**attributes)
