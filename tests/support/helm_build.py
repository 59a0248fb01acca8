"""Helm for the chart's tests, built from the Go module proxy (`deploy/helm/helm.sh install`).

A first build takes minutes of CPU, so the suite starts it as soon as it knows it will run the
chart's tests, at the lowest priority: it uses what the other tests leave idle, and the chart's
tests, collected last, wait for it."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
HELM_SH = REPO_ROOT / "deploy" / "helm" / "helm.sh"


class HelmBuild:
    def __init__(self, log_path: Path) -> None:
        self.log_path = log_path
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = self.log_path.open("wb")
        self._process = subprocess.Popen(
            ["nice", "-n", "19", "bash", str(HELM_SH), "install"],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=REPO_ROOT,
        )

    def binary(self, timeout_s: float = 900) -> Path:
        """The built binary, once the build is done; its output if it failed."""
        if self._process is None:
            self.start()
        assert self._process is not None
        started = time.monotonic()
        try:
            code = self._process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self._process.kill()
            raise AssertionError(f"building helm took over {timeout_s} s") from None
        output = self.log_path.read_text(errors="replace")
        assert code == 0, f"building helm failed ({code}):\n{output[-4000:]}"
        waited = time.monotonic() - started
        path = subprocess.run(
            ["bash", str(HELM_SH), "path"], capture_output=True, text=True, check=True
        ).stdout.strip()
        print(f"helm: {path} (waited {waited:.0f} s for the build)")
        return Path(path)
