"""`roster serve` on a port another process holds ends at once, before it starts anything.

It used to bind after its start (store, Kafka consumers), so a port taken in those seconds left a
process that logged the failure while stopping, sometimes never ended, and a caller polling the
port reached whoever held it instead."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

ROSTER = Path(sys.executable).with_name("roster")


def test_a_port_in_use_ends_the_service_before_it_connects_to_anything() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        finished = subprocess.run(
            [str(ROSTER), "serve", "groups", "--port", str(port)],
            # Nothing listens at these: a service that got as far as connecting would wait on them.
            env={
                "PATH": "/usr/bin:/bin",
                "ROSTER_MONGODB_URL": "mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=60000",
                "ROSTER_KAFKA_BOOTSTRAP": "127.0.0.1:9",
            },
            capture_output=True,
            text=True,
            timeout=60,
        )
    output = finished.stdout + finished.stderr
    assert finished.returncode != 0
    assert "address already in use" in output.lower()
    assert "service_started" not in output
