"""Crash points for tests that prove what survives a process dying at the worst moment.

Inactive unless `ROSTER_FAULT_POINT` names the point; then the process kills itself there with
SIGKILL, as an out-of-memory kill or a node failure would, with no chance to clean up.
"""

from __future__ import annotations

import os
import signal


def crash_point(name: str) -> None:
    if os.environ.get("ROSTER_FAULT_POINT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
