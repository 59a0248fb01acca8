"""Opaque keyset cursors: the sort key and id of the last item seen, so pages never shift."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

from shared.http.errors import ApiError


def encode_cursor(sort: str, value: Any, item_id: str) -> str:
    encoded = {"t": "dt", "v": value.isoformat()} if isinstance(value, datetime) else {"v": value}
    raw = json.dumps([sort, encoded, item_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str) -> tuple[Any, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        cursor_sort, encoded, item_id = json.loads(raw)
        value = encoded["v"]
        if encoded.get("t") == "dt":
            value = datetime.fromisoformat(value)
        elif not isinstance(value, str | int | float) or isinstance(value, bool):
            # The cursor is client input and its value ends up in a query: scalars only.
            raise TypeError("cursor value must be a scalar")
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ApiError(400, "invalid_cursor", "the cursor is not valid") from exc
    if cursor_sort != sort or not isinstance(item_id, str):
        raise ApiError(400, "invalid_cursor", "the cursor belongs to another sort order")
    return value, item_id
