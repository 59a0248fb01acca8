"""Messages as a service's bus receives them from Kafka, for tests that hand them over directly."""

from __future__ import annotations

import uuid
from typing import TypeVar

from shared.contracts.envelope import EventPayload
from shared.messagebus import Received

P = TypeVar("P", bound=EventPayload)


def received(payload: P, org_id: str, sequence: int | None = 1) -> Received[P]:
    return Received(
        payload=payload, org_id=org_id, id=str(uuid.uuid4()), subject="test", sequence=sequence
    )
