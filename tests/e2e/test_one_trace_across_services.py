"""One request is one trace across services: the contacts service's `POST /v1/contacts` and the
groups service's handling of the `ContactCreated` it caused share a trace id, though the event
went through the outbox, the relay and Kafka. Spans go to a real OTLP/HTTP receiver on loopback,
configured as a platform team would, through the standard `OTEL_*` variables."""

from __future__ import annotations

import json

import httpx

from tests.conftest import TokenFactory
from tests.support.eventually import eventually
from tests.support.kafka import TopicTail
from tests.support.otlp_receiver import OtlpReceiver, ReceivedSpan
from tests.support.process import ServiceProcess

SERVER, CLIENT, CONSUMER = 2, 3, 5  # OTLP span kinds


def tracing_env(endpoint: str) -> dict[str, str]:
    return {
        "OTEL_TRACES_EXPORTER": "otlp",
        "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
        "OTEL_BSP_SCHEDULE_DELAY": "200",
    }


async def test_a_created_contact_and_the_groups_service_handling_it_share_one_trace(
    contacts_process: ServiceProcess,
    groups_process: ServiceProcess,
    auth: TokenFactory,
    org: str,
) -> None:
    with OtlpReceiver().running() as receiver:
        contacts_process.start(tracing_env(receiver.endpoint))
        groups_process.start(tracing_env(receiver.endpoint))
        async with TopicTail(
            contacts_process.env["ROSTER_KAFKA_BOOTSTRAP"],
            contacts_process.env["ROSTER_KAFKA_TOPIC_PREFIX"] + "roster.contacts",
        ) as tail:
            async with httpx.AsyncClient(base_url=contacts_process.url) as http:
                response = await http.post(
                    "/v1/contacts", json={"phone": "+254 722 000 222"}, headers=auth(org)
                )
            assert response.status_code == 201, response.text
            contact_id = response.json()["id"]
            [event] = await tail.wait_for(lambda e: e.get("subject") == contact_id)
            [record] = [r for r in tail.records if json.loads(r.value)["id"] == event["id"]]

        def request_spans() -> list[ReceivedSpan]:
            return [
                s
                for s in receiver.of("roster-contacts")
                if s.kind == SERVER and s.attributes.get("http.route") == "/v1/contacts"
            ]

        [request] = await eventually(lambda: _now(request_spans()), lambda spans: len(spans) == 1)
        # The record carries the request's trace, in its headers and in the envelope.
        headers = dict(record.headers)
        assert headers["traceparent"].decode().split("-")[1] == request.trace_id
        assert event["traceparent"] == headers["traceparent"].decode()

        def handling_spans() -> list[ReceivedSpan]:
            return [
                s
                for s in receiver.of("roster-groups")
                if s.kind == CONSUMER and s.trace_id == request.trace_id
            ]

        [handling] = await eventually(
            lambda: _now(handling_spans()), lambda spans: len(spans) == 1, timeout_s=30
        )
        contacts_span_ids = {s.span_id for s in receiver.of("roster-contacts")}
        assert handling.parent_span_id in contacts_span_ids
        assert handling.name.endswith("roster.contacts")
        assert handling.attributes["messaging.system"] == "kafka"
        # The groups service's store commands for the event are in the same trace, under it.
        store_spans = [
            s
            for s in receiver.of("roster-groups")
            if s.trace_id == request.trace_id and s.parent_span_id == handling.span_id
        ]
        assert store_spans, "the handler's store commands are not in the trace"
        # Probes are not traced, nor store commands outside any request or record (the relay,
        # leases, readiness checks): each would be a trace of its own.
        assert not [s for s in receiver.spans if "readyz" in s.name or "healthz" in s.name]
        assert not [s for s in receiver.spans if s.kind == CLIENT and not s.parent_span_id]


async def _now(value: list[ReceivedSpan]) -> list[ReceivedSpan]:
    return value
