"""The importer's own Prometheus metrics, counted by the handlers that decide the work (an
in-memory counter, no I/O). Labels carry outcomes, never an organisation or a file."""

from __future__ import annotations

from prometheus_client import Counter

IMPORT_ROWS = Counter(
    "roster_import_rows_total",
    "Rows the contacts service answered for, by outcome (created, updated, unchanged, "
    "skipped, failed); their rate is the import's rows per second",
    ["outcome"],
)
