"""Channel secrets sealed with Fernet (AES-128-CBC with HMAC-SHA256, from `cryptography`),
under keys from settings (`ROSTER_CHANNEL_SECRET_KEYS`, comma-separated, newest first):
sealing uses the first, opening tries each, so a key is rotated by putting a new one first
and dropping the old one once every channel was saved again."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class SecretsUnreadable(Exception):
    """Sealed under a key that is no longer configured, or tampered with."""


class FernetSecretBox:
    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("at least one channel secret key is needed")
        self._fernet = MultiFernet([Fernet(key.encode()) for key in keys])

    def seal(self, secrets: Mapping[str, str]) -> str:
        text = json.dumps(dict(secrets), sort_keys=True, separators=(",", ":"))
        return self._fernet.encrypt(text.encode()).decode()

    def open(self, sealed: str) -> dict[str, str]:
        try:
            opened: dict[str, str] = json.loads(self._fernet.decrypt(sealed.encode()))
        except InvalidToken as exc:
            raise SecretsUnreadable("channel secrets cannot be opened with the keys given") from exc
        return opened
