"""What this process asks of the store, as Prometheus counters: commands, the documents they
carry and the time they take, by command and collection.

This is how the cost of a piece of work is broken down (the import bench divides them by the rows
imported): a statement that should not be there shows up as a count, a slow one as seconds. Only
names of commands and collections are labels, never values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from prometheus_client import Counter
from pymongo.monitoring import (
    CommandFailedEvent,
    CommandListener,
    CommandStartedEvent,
    CommandSucceededEvent,
)

STORE_COMMANDS = Counter(
    "roster_store_commands_total", "Store commands sent", ["command", "collection", "outcome"]
)
STORE_DOCUMENTS = Counter(
    "roster_store_statement_documents_total",
    "Documents (insert) or statements (update, delete) carried by write commands",
    ["command", "collection"],
)
STORE_WRITTEN = Counter(
    "roster_store_documents_written_total",
    "Documents the store reports inserted, modified, upserted or deleted by write commands",
    ["command", "collection"],
)
STORE_SECONDS = Counter(
    "roster_store_command_seconds_total",
    "Time from sending a store command to its reply",
    ["command", "collection"],
)

# The array each write command carries its documents or statements in.
_STATEMENTS = {"insert": "documents", "update": "updates", "delete": "deletes"}
# Commands about the connection, not data: not counted.
_IGNORED = frozenset({"hello", "ismaster", "isMaster", "ping", "buildInfo", "endSessions"})


class StoreCommandMetrics(CommandListener):
    """Counts every data command on the clients it is registered with."""

    def __init__(self) -> None:
        self._collections: dict[tuple[object, int], str] = {}

    def started(self, event: CommandStartedEvent) -> None:
        name = event.command_name
        if name in _IGNORED:
            return
        target = event.command.get(name)
        collection = target if isinstance(target, str) else "-"
        if name == "getMore":
            collection = str(event.command.get("collection", "-"))
        self._collections[(event.connection_id, event.request_id)] = collection
        items = _STATEMENTS.get(name)
        if items is not None:
            carried = event.command.get(items)
            STORE_DOCUMENTS.labels(name, collection).inc(len(carried) if carried else 0)

    def succeeded(self, event: CommandSucceededEvent) -> None:
        collection = self._collections.get((event.connection_id, event.request_id))
        if collection is not None and event.command_name in _STATEMENTS:
            STORE_WRITTEN.labels(event.command_name, collection).inc(_written(event.reply))
        self._finish(event, "ok")

    def failed(self, event: CommandFailedEvent) -> None:
        self._finish(event, "failed")

    def _finish(self, event: CommandSucceededEvent | CommandFailedEvent, outcome: str) -> None:
        collection = self._collections.pop((event.connection_id, event.request_id), None)
        if collection is None:
            return
        STORE_COMMANDS.labels(event.command_name, collection, outcome).inc()
        STORE_SECONDS.labels(event.command_name, collection).inc(event.duration_micros / 1e6)


def _written(reply: Mapping[str, Any]) -> int:
    """Documents a write command's reply says it wrote: `n` for inserts and deletes; for updates
    those modified (`nModified`) and those upserted (counted in `n` too, listed in `upserted`)."""
    if "nModified" in reply:
        return int(reply["nModified"]) + len(reply.get("upserted") or ())
    return int(reply.get("n") or 0)
