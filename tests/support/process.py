"""A service run as its own process (`roster serve`), to be reached over real HTTP and killed."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]
# The `roster` command the services run as: this checkout's, unless ROSTER_SERVE_COMMAND names
# another build's (a bench comparing before and after a change runs the same load against both).
ROSTER = Path(os.environ.get("ROSTER_SERVE_COMMAND") or Path(sys.executable).with_name("roster"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class PortTaken(Exception):
    """The service could not bind its port: another process took it first."""


class ServiceProcess:
    def __init__(self, service: str, env: dict[str, str], log_path: Path) -> None:
        self.service = service
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **env}
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None
        self.started = False

    def start(self, extra_env: dict[str, str] | None = None, timeout_s: float = 60) -> None:
        """Starts the service and waits until it is ready. `free_port` only finds a port that
        was free a moment ago: an outgoing connection may take it before the service binds. A
        first start then moves to another port (nobody has used the URL yet); a restart keeps
        its URL and tries the same port again."""
        for attempt in range(3):
            try:
                self._start_once(extra_env, timeout_s)
                return
            except PortTaken:
                if attempt == 2:
                    raise
                if not self.started:
                    self.port = free_port()
                    self.url = f"http://127.0.0.1:{self.port}"
                time.sleep(1)

    def _start_once(self, extra_env: dict[str, str] | None, timeout_s: float) -> None:
        log = self.log_path.open("ab")
        logged_before = len(self.log_text())
        self.proc = subprocess.Popen(
            [str(ROSTER), "serve", self.service, "--port", str(self.port)],
            env={**self.env, **(extra_env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=REPO_ROOT,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            # A port in use ends the service at once (it binds before it starts); the log is read
            # even while it still runs, so that another process answering on the port is never
            # taken for it.
            if "address already in use" in self.log_text()[logged_before:].lower():
                self.stop()
                raise PortTaken(self.port)
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.service} exited at start:\n{self.log_tail()}")
            try:
                if self._consuming():
                    self.started = True
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"{self.service} not ready in {timeout_s}s:\n{self.log_tail()}")

    def _consuming(self) -> bool:
        """Ready (it serves its reads) and its Kafka clients work: readiness alone does not
        wait for Kafka (`/readyz` shows it in `checks`), and tests drive the service's events."""
        answer = httpx.get(self.url + "/readyz", timeout=2)
        return answer.status_code == 200 and all(answer.json()["checks"].values())

    def wait_exit(self, timeout_s: float = 30) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout=timeout_s)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])
