"""The dispatcher's own Prometheus metrics. Labels carry the channel's type, never an
organisation, a channel id or a person."""

from __future__ import annotations

from prometheus_client import Counter

MESSAGES_HANDED = Counter(
    "roster_dispatcher_messages_total",
    "Messages handed to providers, by the provider's answer (sent, failed, retry, unknown)",
    ["type", "outcome"],
)
SLOWDOWNS = Counter(
    "roster_dispatcher_slowdowns_total",
    "Times a channel's rate was halved because its provider throttled it",
    ["type"],
)
