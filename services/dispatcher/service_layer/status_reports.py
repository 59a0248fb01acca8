"""Status reports from providers: stored as they arrive (each report once), then applied to
the recipients' buckets in batches, one write per bucket per batch however many reports it
got (and to single messages, one write each). Statuses only move forward
(`domain.recipients.moves_forward`), so a late, repeated or out-of-order report never moves a
recipient back, and counters stay whole."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import datetime
from functools import partial

from services.dispatcher.domain import commands
from services.dispatcher.domain.recipients import (
    PROVIDER_REF,
    RecipientBucket,
    StatusReport,
    parse_message_id,
    provider_ref,
)
from services.dispatcher.domain.single_messages import SINGLE
from services.dispatcher.service_layer.sending import change_bucket
from services.dispatcher.service_layer.single_messages import apply_single_reports
from services.dispatcher.service_layer.unit_of_work import DispatcherUnitOfWork
from shared.logging import get_logger

log = get_logger(__name__)
BATCH = 1000
LOOKUP_TRIES = 12
LOOKUP_PAUSE_S = 5.0


async def record_status_reports(
    cmd: commands.RecordStatusReports, uow: DispatcherUnitOfWork
) -> None:
    await uow.status_inbox.add(cmd.reports)


def _apply(moves: list[tuple[str, StatusReport]], bucket: RecipientBucket, now: datetime) -> None:
    """Only reports that came in on the bucket's own channel move its recipients: a channel's
    signing key vouches for its own messages, no other's."""
    by_contact = {r.contact_id: r for r in bucket.recipients}
    for contact_id, report in moves:
        recipient = by_contact.get(contact_id)
        if recipient is not None and report.channel_id == bucket.channel_id:
            recipient.move(report.status, now, report.reason)


async def _ours(
    uow: DispatcherUnitOfWork, reports: list[StatusReport]
) -> tuple[list[StatusReport], list[StatusReport]]:
    """The reports with our message ids (those naming a provider's id looked up), and those
    whose provider id is not known yet."""
    refs = [r.message_id for r in reports if r.message_id.startswith(PROVIDER_REF)
            and r.message_id.startswith(provider_ref(r.channel_id, ""))]  # fmt: skip
    found = await uow.provider_ids.lookup(refs) if refs else {}
    ours, unknown = [], []
    for report in reports:
        if not report.message_id.startswith(PROVIDER_REF):
            ours.append(report)
        elif report.message_id in found:  # named under the channel it came in on
            ours.append(replace(report, message_id=found[report.message_id]))
        else:
            unknown.append(report)
    return ours, unknown


async def apply_status_reports(cmd: commands.ApplyStatusReports, uow: DispatcherUnitOfWork) -> int:
    """Applies the oldest reports; returns how many were taken (0: none waiting). A report
    naming a provider's id not recorded yet is tried again a little later, a few times."""
    taken = await uow.status_inbox.take(BATCH)
    reports, unknown = await _ours(uow, taken)
    retry = [r for r in unknown if r.tries < LOOKUP_TRIES]
    await uow.status_inbox.postpone(retry, LOOKUP_PAUSE_S)
    for report in unknown:
        if report.tries >= LOOKUP_TRIES:
            log.warning("status_report_unknown_message", message_id=report.message_id[:200])
    by_bucket: dict[tuple[str, int], list[tuple[str, StatusReport]]] = defaultdict(list)
    singles = [r for r in reports if r.message_id.startswith(SINGLE)]
    await apply_single_reports(uow, singles)
    for report in reports:
        parsed = parse_message_id(report.message_id)
        if report.message_id.startswith(SINGLE):
            continue
        if parsed is None:
            log.warning("status_report_unknown_message", message_id=report.message_id[:200])
            continue
        broadcast_id, n, contact_id = parsed
        by_bucket[(broadcast_id, n)].append((contact_id, report))
    for (broadcast_id, n), moves in by_bucket.items():
        bucket = await uow.broadcasts.get_bucket(broadcast_id, n)
        if bucket is not None:
            await change_bucket(uow, bucket, partial(_apply, moves))
    await uow.status_inbox.done([r for r in taken if r not in retry])
    return len(taken)
