"""Tracing is off unless the standard `OTEL_*` variables turn it on, and a configuration this build
cannot honour stops the service at start with the reason, instead of exporting nowhere."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from shared.tracing import (
    TracingConfigError,
    context_of_headers,
    current_trace_context,
    trace_headers,
    tracing_requested,
)

ROSTER = Path(sys.executable).with_name("roster")


@pytest.mark.parametrize(
    ("environ", "exporters"),
    [
        ({}, []),
        ({"OTEL_TRACES_EXPORTER": "none"}, []),
        ({"OTEL_TRACES_EXPORTER": "otlp"}, ["otlp"]),
        ({"OTEL_TRACES_EXPORTER": "otlp,console"}, ["otlp", "console"]),
        ({"OTEL_TRACES_EXPORTER": "otlp", "OTEL_SDK_DISABLED": "true"}, []),
        (
            {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"},
            ["otlp"],
        ),
    ],
)
def test_the_exporters_named(environ: dict[str, str], exporters: list[str]) -> None:
    assert tracing_requested(environ) == exporters


@pytest.mark.parametrize(
    ("environ", "reason"),
    [
        ({"OTEL_TRACES_EXPORTER": "zipkin"}, "zipkin is not built in"),
        (
            {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"},
            "only http/protobuf",
        ),
        (
            {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "grpc"},
            "only http/protobuf",
        ),
    ],
)
def test_what_is_not_built_in_is_refused(environ: dict[str, str], reason: str) -> None:
    with pytest.raises(TracingConfigError, match=reason):
        tracing_requested(environ)


def test_the_service_does_not_start_on_a_configuration_it_cannot_honour() -> None:
    finished = subprocess.run(
        [str(ROSTER), "serve", "contacts", "--port", "9"],
        env={"PATH": "/usr/bin:/bin", "OTEL_TRACES_EXPORTER": "jaeger"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode == 2
    assert "tracing: OTEL_TRACES_EXPORTER: jaeger is not built in" in finished.stderr


def test_a_trace_context_goes_into_headers_and_comes_back() -> None:
    tracer = TracerProvider().get_tracer("test")
    assert current_trace_context() == {}  # outside a span: nothing to carry
    with tracer.start_as_current_span("change") as span:
        carried = current_trace_context()
        headers = trace_headers(carried)
    expected = span.get_span_context()
    assert carried["traceparent"].split("-")[1] == format(expected.trace_id, "032x")
    context = context_of_headers([("content-type", b"x"), *headers])
    assert context is not None
    restored = trace.get_current_span(context).get_span_context()
    assert (restored.trace_id, restored.span_id) == (expected.trace_id, expected.span_id)
    assert context_of_headers([("traceparent", b"not-a-traceparent")]) is None
    assert context_of_headers(None) is None
