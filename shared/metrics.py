"""Prometheus metrics common to every service; label values never carry tenant or personal data."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter(
    "roster_http_requests_total", "HTTP requests", ["service", "method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "roster_http_request_seconds", "HTTP request latency", ["service", "method", "route"]
)
EVENTS_PUBLISHED = Counter(
    "roster_events_published_total", "Events acknowledged by Kafka", ["topic", "type"]
)
EVENTS_CONSUMED = Counter(
    "roster_events_consumed_total", "Events handled by consumers", ["group", "topic", "outcome"]
)
OUTBOX_BACKLOG = Gauge(
    "roster_outbox_backlog_documents",
    "Documents with unpublished events, last relay pass",
    ["service"],
)
OUTBOX_OLDEST_AGE = Gauge(
    "roster_outbox_oldest_event_age_seconds",
    "Age of the oldest event this process stored and has not published yet (0: none waits)",
    ["service"],
)
CONSUMER_LAG = Gauge(
    "roster_consumer_lag_records",
    "Records on a partition past what the consumer group has handled, as of its last fetch",
    ["group", "topic", "partition"],
)
DEPENDENCY_UP = Gauge(
    "roster_dependency_up",
    "Whether a dependency answered the last readiness check (1) or not (0)",
    ["service", "dependency"],
)
CONSUMER_RESTARTS = Counter(
    "roster_consumer_restarts_total", "Consuming loops restarted after a crash", ["group"]
)
CONSUMER_COMMIT_FAILURES = Counter(
    "roster_consumer_commit_failures_total",
    "Offset commits that failed (the records are redelivered)",
    ["group"],
)
