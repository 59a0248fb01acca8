"""Tracing: OpenTelemetry, off unless the standard `OTEL_*` variables turn it on.

One request is one trace across services even though events go through the outbox: the write
stores the trace context of the code that made the change beside the event (the CloudEvents
distributed-tracing extension, `traceparent`/`tracestate`, in the envelope and in the record's
headers), the relay publishes it with the record whenever that happens, and the consumer of
another service handles the record inside a span whose parent is that context. The events its
handlers write carry the consumer's span in turn, so an import or a broadcast stays one trace
through every hop.

Configuration is the standard one, read when the service starts (`roster serve`):
- `OTEL_TRACES_EXPORTER`: `otlp` (OTLP over HTTP/protobuf), `console`, or `none` (the default:
  tracing is off, and nothing is exported or sampled);
- `OTEL_EXPORTER_OTLP_ENDPOINT` (or `..._TRACES_ENDPOINT`), `..._HEADERS`, `..._TIMEOUT`;
- `OTEL_SERVICE_NAME` (default `roster-<service>`), `OTEL_RESOURCE_ATTRIBUTES`;
- `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG`, `OTEL_BSP_*` (batching), `OTEL_SDK_DISABLED`.
Only the HTTP/protobuf OTLP protocol is built in; asking for gRPC stops the start with a message.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Link, SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

TRACEPARENT = "traceparent"
TRACESTATE = "tracestate"
TRACE_ATTRIBUTES = (TRACEPARENT, TRACESTATE)
# Probes and scrapes are not traced: they would be most of the spans and say nothing.
UNTRACED_PATHS = "healthz,readyz,metrics"
TRACER_NAME = "roster"

_propagator = TraceContextTextMapPropagator()


class TracingConfigError(ValueError):
    """The `OTEL_*` variables ask for something this build does not do."""


def tracing_requested(environ: Mapping[str, str] = os.environ) -> list[str]:
    """The exporters `OTEL_TRACES_EXPORTER` names; empty when tracing is off."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return []
    names = [n.strip().lower() for n in environ.get("OTEL_TRACES_EXPORTER", "none").split(",")]
    names = [n for n in names if n and n != "none"]
    unknown = sorted(set(names) - {"otlp", "console"})
    if unknown:
        raise TracingConfigError(
            f"OTEL_TRACES_EXPORTER: {', '.join(unknown)} is not built in (otlp, console or none)"
        )
    if "otlp" in names:
        protocol = environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") or environ.get(
            "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"
        )
        if protocol != "http/protobuf":
            raise TracingConfigError(
                f"OTEL_EXPORTER_OTLP_PROTOCOL={protocol}: only http/protobuf is built in "
                "(point the exporter at the collector's OTLP/HTTP port, usually 4318)"
            )
    return names


def configure_tracing(service: str, environ: Mapping[str, str] = os.environ) -> Any | None:
    """Installs the SDK's tracer provider when tracing is on, and returns it (to be shut down,
    which flushes what is still batched); None when it is off."""
    exporters = tracing_requested(environ)
    if not exporters:
        return None
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

    attributes: dict[str, str] = {"service.namespace": "roster"}
    if not environ.get("OTEL_SERVICE_NAME"):
        attributes[SERVICE_NAME] = f"roster-{service}"
    configured = TracerProvider().sampler  # the one OTEL_TRACES_SAMPLER names
    provider = TracerProvider(
        resource=Resource.create(attributes), sampler=no_orphan_client_spans(configured)
    )
    for name in exporters:
        if name == "otlp":
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        else:
            provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
    trace.set_tracer_provider(provider)
    return provider


def no_orphan_client_spans(sampler: Any) -> Any:
    """`sampler`, except that a client span with no parent is dropped: the store commands the
    relay, the leases, the workers and the readiness checks send outside any request or record
    would otherwise each be a trace of their own, thousands a minute, hiding the real ones."""
    from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult

    class NoOrphanClientSpans(Sampler):
        def should_sample(
            self,
            parent_context: Context | None,
            trace_id: int,
            name: str,
            kind: SpanKind | None = None,
            attributes: Any = None,
            links: Any = None,
            trace_state: Any = None,
        ) -> SamplingResult:
            parent = trace.get_current_span(parent_context).get_span_context()
            if kind == SpanKind.CLIENT and not parent.is_valid:
                return SamplingResult(Decision.DROP)
            result: SamplingResult = sampler.should_sample(
                parent_context, trace_id, name, kind, attributes, links, trace_state
            )
            return result

        def get_description(self) -> str:
            return f"NoOrphanClientSpans({sampler.get_description()})"

    return NoOrphanClientSpans()


def instrument(app: Any, provider: Any) -> None:
    """HTTP server spans for the app's routes, and a span per store command."""
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
    from opentelemetry.instrumentation.pymongo import PymongoInstrumentor

    FastAPIInstrumentor.instrument_app(app, tracer_provider=provider, excluded_urls=UNTRACED_PATHS)
    PymongoInstrumentor().instrument(tracer_provider=provider)


def current_trace_context() -> dict[str, str]:
    """`traceparent` (and `tracestate`) of the span the code runs in; empty outside one."""
    if not trace.get_current_span().get_span_context().is_valid:
        return {}
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return {name: carrier[name] for name in TRACE_ATTRIBUTES if name in carrier}


def trace_headers(context: Mapping[str, str]) -> list[tuple[str, bytes]]:
    """Kafka record headers carrying a stored trace context (W3C names, as the OTel Kafka
    instrumentations read them)."""
    return [(name, context[name].encode()) for name in TRACE_ATTRIBUTES if context.get(name)]


def context_of_headers(headers: Sequence[tuple[str, bytes]] | None) -> Context | None:
    """The trace context a record's headers carry, if any."""
    carrier = {
        name: bytes(value).decode(errors="replace")
        for name, value in headers or ()
        if name in TRACE_ATTRIBUTES
    }
    if TRACEPARENT not in carrier:
        return None
    context = _propagator.extract(carrier)
    return context if trace.get_current_span(context).get_span_context().is_valid else None


@contextmanager
def consuming_span(
    topic: str, contexts: Sequence[Context | None], attributes: Mapping[str, Any]
) -> Iterator[None]:
    """The span records are handled in: the child of the first record's trace context, linked
    to the others' (a batch can hold several traces; a span has one parent)."""
    valid = [c for c in contexts if c is not None]
    parent = valid[0] if valid else None
    links = [
        Link(trace.get_current_span(c).get_span_context())
        for c in valid[1:]
        if trace.get_current_span(c).get_span_context()
        != trace.get_current_span(parent).get_span_context()
    ]
    tracer = trace.get_tracer(TRACER_NAME)
    with tracer.start_as_current_span(
        f"process {topic}",
        context=parent,
        kind=SpanKind.CONSUMER,
        links=links[:32],
        attributes={
            "messaging.system": "kafka",
            "messaging.operation.type": "process",
            "messaging.destination.name": topic,
            "messaging.batch.message_count": len(contexts),
            **attributes,
        },
    ):
        yield
