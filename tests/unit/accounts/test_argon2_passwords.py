"""The password adapter: argon2id hashes, a right password verifies, a wrong one and a missing
hash do not, and a missing hash costs a real check (an unknown email must not answer faster)."""

from __future__ import annotations

from argon2 import PasswordHasher

from services.accounts.adapters.passwords import Argon2Passwords


async def test_argon2id_hashes_verify_the_right_password_only() -> None:
    passwords = Argon2Passwords(PasswordHasher(time_cost=1, memory_cost=1024))
    stored = await passwords.hash("correct horse battery")
    assert stored.startswith("$argon2id$")
    assert await passwords.verify(stored, "correct horse battery")
    assert not await passwords.verify(stored, "correct horse battery ")
    assert not await passwords.verify(None, "a password nobody has")  # the decoy's own
    assert not await passwords.verify("not a hash", "correct horse battery")
    assert not passwords.needs_rehash(stored)
    stronger = Argon2Passwords(PasswordHasher(time_cost=2, memory_cost=1024))
    assert stronger.needs_rehash(stored)
