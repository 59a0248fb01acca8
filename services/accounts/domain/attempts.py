"""Sign-in attempt limits: a run of failed attempts on one account, or from one address, makes
the next attempt wait, longer after each further failure. While it waits even the right password
is refused, so guessing gets nowhere fast; once the wait is over the right password works and
clears the run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

MAX_WAIT = timedelta(minutes=15)
# A run of failures is forgotten after this long without another.
FORGOTTEN_AFTER = timedelta(hours=1)


@dataclass(frozen=True)
class AttemptRule:
    free_failures: int  # failures in a row before any wait

    def wait_after(self, failures: int) -> timedelta:
        """1 s after the first failure beyond the free ones, doubling, at most MAX_WAIT."""
        over = failures - self.free_failures
        if over <= 0:
            return timedelta(0)
        return min(timedelta(seconds=2 ** min(over - 1, 20)), MAX_WAIT)


# Per account: a person mistypes a few times. Per address: many people may share one (an office,
# a mobile carrier's NAT), so more.
PER_ACCOUNT = AttemptRule(free_failures=5)
PER_ADDRESS = AttemptRule(free_failures=30)


@dataclass
class Attempts:
    """Failed attempts in a row on one key ("account:<email>" or "address:<ip>"). The next
    attempt waits until `wait_after(failures)` past the last failure."""

    key: str
    failures: int = 0
    last_failure_at: datetime | None = None

    def current(self, now: datetime) -> Attempts:
        """As it counts now: a run not added to for FORGOTTEN_AFTER is over."""
        if self.last_failure_at is not None and now - self.last_failure_at > FORGOTTEN_AFTER:
            return Attempts(self.key)
        return self

    def waiting(self, rule: AttemptRule, now: datetime) -> timedelta | None:
        run = self.current(now)
        if run.last_failure_at is None:
            return None
        left = run.last_failure_at + rule.wait_after(run.failures) - now
        return left if left > timedelta(0) else None
