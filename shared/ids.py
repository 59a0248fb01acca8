"""Identifiers for new aggregates: random UUIDs, so any replica can mint them."""

from __future__ import annotations

import uuid
from typing import Protocol


class IdFactory(Protocol):
    def __call__(self) -> str: ...


def new_uuid() -> str:
    return str(uuid.uuid4())
