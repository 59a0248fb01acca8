"""What callers ask the dispatcher to do, in the imperative. Raw input; handlers validate."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.dispatcher.domain.audience import Audience
from services.dispatcher.domain.inbound import InboundReport
from services.dispatcher.domain.recipients import StatusReport
from shared.auth import Principal


@dataclass(frozen=True)
class CreateChannel:
    by: Principal
    type: str
    name: str
    # Only the settings given; the others take the type's defaults.
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class UpdateChannel:
    by: Principal
    channel_id: str
    changes: dict[str, Any]
    expected_version: int | None = None


@dataclass(frozen=True)
class DeleteChannel:
    by: Principal
    channel_id: str


@dataclass(frozen=True)
class CreateTemplate:
    by: Principal
    name: str
    category: str
    variants: dict[str, str]
    parameters: dict[str, Any]


@dataclass(frozen=True)
class UpdateTemplate:
    by: Principal
    template_id: str
    changes: dict[str, Any]
    expected_version: int | None = None


@dataclass(frozen=True)
class DeleteTemplate:
    by: Principal
    template_id: str


@dataclass(frozen=True)
class CreateBroadcast:
    by: Principal
    audience: Audience
    channel_id: str
    text: str | None
    template_id: str | None = None
    send_at: datetime | None = None
    idempotency_key: str | None = None
    quiet_hours: dict[str, str] | None = None


@dataclass(frozen=True)
class ChangeBroadcastState:
    """`action`: pause, resume or cancel."""

    by: Principal
    broadcast_id: str
    action: str


@dataclass(frozen=True)
class ResolveBroadcast:
    """Fixes the recipients of a broadcast whose time came (from the background work)."""

    org_id: str
    broadcast_id: str


@dataclass(frozen=True)
class SendNext:
    """Hands the next few queued recipients of a broadcast to its channel (from the channel's
    sender). Answers how many it handed over, and whether the broadcast is done."""

    org_id: str
    broadcast_id: str


@dataclass(frozen=True)
class TakeWindow:
    """Marks the next window of a broadcast `sending` (the first half of `SendNext`), so that
    the channel's sender can prepare it while the previous one is on its way."""

    org_id: str
    broadcast_id: str


@dataclass(frozen=True)
class HandOver:
    """Hands a taken window to the provider and stores the answers (the second half)."""

    window: object  # a `service_layer.sending.Window`: it never leaves the process


@dataclass(frozen=True)
class RecordStatusReports:
    """Reports a provider sent (signature checked by the entry point)."""

    channel_id: str
    reports: list[StatusReport]


@dataclass(frozen=True)
class ApplyStatusReports:
    """Applies the reports waiting, in a batch (from the background work)."""


@dataclass(frozen=True)
class ReceiveInbound:
    """Messages a channel's provider sent us (signature checked by the entry point). `strict`:
    one message from a gateway, refused whole if it is not valid (a 422 it can act on); a
    webhook's batch keeps every valid message and counts the others."""

    org_id: str
    channel_id: str
    messages: list[InboundReport]
    strict: bool = False


@dataclass(frozen=True)
class SendSingleMessages:
    """Hands the channel's next few single messages to its provider (from the channel's
    sender, before each broadcast window). Answers how many went and whether more wait."""

    channel_id: str
