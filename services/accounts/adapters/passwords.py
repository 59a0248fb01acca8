"""Password hashes: argon2id (argon2-cffi's defaults, RFC 9106's second recommendation), computed
in a worker thread so that a sign-in's tens of milliseconds of hashing do not stall the event
loop for everybody else."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher as Argon2
from argon2.exceptions import InvalidHashError, VerificationError


class Argon2Passwords:
    """At most `concurrency` hashes at a time: each takes the memory argon2 is set to (64 MiB by
    default), and a burst of sign-ins must queue, not exhaust the process's memory."""

    def __init__(self, hasher: Argon2 | None = None, concurrency: int = 2) -> None:
        self._argon2 = hasher or Argon2()
        self._slots = asyncio.Semaphore(concurrency)
        # Checked when there is no hash to check against, so that it costs the same.
        self._decoy = self._argon2.hash("a password nobody has")

    async def hash(self, password: str) -> str:
        async with self._slots:
            return await asyncio.to_thread(self._argon2.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        async with self._slots:
            return await asyncio.to_thread(self._verify, password_hash, password)

    def _verify(self, password_hash: str | None, password: str) -> bool:
        try:
            return bool(self._argon2.verify(password_hash or self._decoy, password)) and bool(
                password_hash
            )
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        try:
            return bool(self._argon2.check_needs_rehash(password_hash))
        except InvalidHashError:
            return False
