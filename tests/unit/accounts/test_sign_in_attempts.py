"""Guessing passwords: a run of wrong ones makes each further attempt wait, longer and longer,
and is logged; during a wait even the right password is refused; after it, the right one works
and clears the run. An address that fails for many accounts is slowed down too."""

from __future__ import annotations

import contextlib
from datetime import timedelta

import pytest
from structlog.testing import capture_logs

from services.accounts.domain.attempts import MAX_WAIT
from services.accounts.domain.commands import SignIn
from services.accounts.domain.errors import InvalidCredentials, TooManyAttempts
from tests.fakes.accounts import FakeAccounts
from tests.unit.accounts.conftest import ADMIN_EMAIL, PASSWORD


def attempt(password: str, address: str = "10.0.0.9", email: str = ADMIN_EMAIL) -> SignIn:
    return SignIn(email, password, "acme", address)


async def test_fifty_wrong_passwords_are_slowed_down_and_logged_and_the_right_one_then_works(
    accounts: FakeAccounts,
) -> None:
    refused_waiting, waits = 0, []
    with capture_logs() as logs:
        for n in range(50):
            try:
                await accounts.bus.handle(attempt(f"guess number {n:04d}"))
            except InvalidCredentials:
                pass
            except TooManyAttempts as exc:
                refused_waiting += 1
                waits.append(exc.details["retry_after_s"])
                accounts.clock.advance(timedelta(seconds=exc.details["retry_after_s"]))
    failures = [e for e in logs if e["event"] == "sign_in_failed"]
    assert failures and failures[-1]["account_failures"] == len(failures)
    assert refused_waiting > 0 and waits == sorted(waits)  # each wait at least the one before
    assert max(waits) <= MAX_WAIT.total_seconds()
    assert [e for e in logs if e["event"] == "sign_in_refused_waiting"]

    # Blocked now: the right password is refused too, until the wait is over.
    await _fail_once(accounts)
    with pytest.raises(TooManyAttempts) as waiting:
        await accounts.bus.handle(attempt(PASSWORD))
    accounts.clock.advance(timedelta(seconds=waiting.value.details["retry_after_s"]))
    assert (await accounts.bus.handle(attempt(PASSWORD))).org_id == "acme"
    # ... and the run is cleared: the next mistake is a plain one.
    with pytest.raises(InvalidCredentials):
        await accounts.bus.handle(attempt("one more mistake"))


async def test_one_address_guessing_across_accounts_is_slowed_down(
    accounts: FakeAccounts,
) -> None:
    with pytest.raises(TooManyAttempts):
        for n in range(100):
            with contextlib.suppress(InvalidCredentials):
                await accounts.bus.handle(
                    attempt("whatever password", email=f"person{n}@example.org")
                )
    # Another address is not held up by it.
    assert (await accounts.bus.handle(attempt(PASSWORD, address="10.0.0.10"))).org_id == "acme"


async def _fail_once(accounts: FakeAccounts) -> None:
    with contextlib.suppress(InvalidCredentials, TooManyAttempts):
        await accounts.bus.handle(attempt("yet another guess"))
