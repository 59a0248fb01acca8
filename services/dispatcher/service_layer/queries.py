"""Reads of the dispatcher: the audience a broadcast names, resolved from its own projection,
and the preview of who would receive it and why not.

An audience is walked group by group through the membership index, a page at a time, so a
million members cost a thousand pages, never a million in memory. A contact in two audience
groups is counted once: in the first, since while walking a later group a member already in an
earlier one is skipped by its `groups` (no set of everyone seen is kept).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services.dispatcher.domain.audience import (
    EXCLUSIONS,
    Audience,
    AudienceContact,
    AudienceGroup,
    Screen,
)
from services.dispatcher.domain.broadcasts import Broadcast
from services.dispatcher.domain.channels import Channel, ChannelType
from services.dispatcher.domain.errors import (
    BroadcastNotFound,
    EmptyAudience,
    NotYourGroup,
    UnknownChannel,
    UnknownGroups,
)
from services.dispatcher.domain.recipients import summed
from services.dispatcher.service_layer.unit_of_work import DispatcherUnitOfWork
from shared.auth import Principal, Role
from shared.catch_up import ASK_ONCE, CatchUp

PAGE = 1000
# WhatsApp's customer service window: free text only this long after the contact's last message.
SERVICE_WINDOW = timedelta(hours=24)


@dataclass
class Preview:
    audience: int = 0
    will_receive: int = 0
    excluded: Counter[str] = field(default_factory=Counter)
    not_found: int = 0  # contact ids named that this organisation does not have
    eta_seconds: int = 0


async def audience_groups(
    uow: DispatcherUnitOfWork, by: Principal, audience: Audience, catch_up: CatchUp
) -> dict[str, AudienceGroup]:
    """Every group the audience names, checked: known (a group created a moment ago is waited
    for), and the caller's if staff."""
    if not audience.groups and not audience.contact_ids:
        raise EmptyAudience("name at least one group or contact")
    named = list(dict.fromkeys([*audience.groups, *audience.exclude_groups]))
    groups = await uow.audience.get_groups(by.org_id, named)
    if len(groups) < len(named):

        async def arrived() -> bool:
            missing = [g for g in named if g not in groups]
            groups.update(await uow.audience.get_groups(by.org_id, missing))
            return len(groups) == len(named)

        await catch_up.until(arrived)
    unknown = [g for g in named if g not in groups]
    if unknown:
        raise UnknownGroups("no such groups", group_ids=unknown)
    if by.role is Role.STAFF:
        if audience.contact_ids:
            raise NotYourGroup("staff send to their groups, not to contacts by id")
        foreign = [g for g in audience.groups if by.subject not in groups[g].staff]
        if foreign:
            raise NotYourGroup("these groups are not assigned to you", group_ids=foreign)
    return groups


async def broadcast_channel(uow: DispatcherUnitOfWork, org_id: str, channel_id: str) -> Channel:
    channel = await uow.channels.get(org_id, channel_id)
    if channel is None:
        raise UnknownChannel("no such channel", channel_id=channel_id)
    return channel


async def audience_pages(
    uow: DispatcherUnitOfWork, org_id: str, audience: Audience, found: Counter[str]
) -> AsyncIterator[list[AudienceContact]]:
    """The contacts the audience names, each once, a page at a time; `found["not_found"]`
    counts the contact ids named that are not (or not yet) known here."""
    earlier: set[str] = set()
    for group_id in dict.fromkeys(audience.groups):
        after: str | None = None
        while ids := await uow.audience.members_page(group_id, after, PAGE):
            after = ids[-1]
            contacts = await uow.audience.get_contacts(org_id, ids)
            page = [
                c for i in ids
                if (c := contacts.get(i)) is not None and c.known and earlier.isdisjoint(c.groups)
            ]  # fmt: skip
            if page:
                yield page
        earlier.add(group_id)
    named = list(dict.fromkeys(audience.contact_ids))
    for start in range(0, len(named), PAGE):
        ids = named[start : start + PAGE]
        contacts = await uow.audience.get_contacts(org_id, ids)
        page = [c for i in ids if (c := contacts.get(i)) is not None and c.known]
        found["not_found"] += len(ids) - len(page)
        page = [c for c in page if earlier.isdisjoint(c.groups)]
        if page:
            yield page


def screen_for(
    channel: Channel, audience: Audience, blacklisted: frozenset[str], now: datetime
) -> Screen:
    window = channel.type is ChannelType.WHATSAPP_CLOUD  # free text: templates are not built yet
    return Screen(
        requires_opt_in=channel.requires_opt_in,
        blacklisted_groups=blacklisted,
        excluded_groups=frozenset(audience.exclude_groups),
        window_opened_after=now - SERVICE_WINDOW if window else None,
    )


async def preview(
    uow: DispatcherUnitOfWork,
    by: Principal,
    audience: Audience,
    channel_id: str,
    catch_up: CatchUp = ASK_ONCE,
) -> Preview:
    """Counts, contact by contact, who would receive a broadcast now and why the others would
    not: `audience == will_receive + sum(excluded)`."""
    await audience_groups(uow, by, audience, catch_up)
    channel = await broadcast_channel(uow, by.org_id, channel_id)
    screen = screen_for(
        channel, audience, await uow.audience.blacklisted_groups(by.org_id), uow.clock()
    )
    result = Preview(excluded=Counter(dict.fromkeys(EXCLUSIONS, 0)))
    found: Counter[str] = Counter()
    async for page in audience_pages(uow, by.org_id, audience, found):
        for contact in page:
            result.audience += 1
            reason = screen.exclusion(contact)
            if reason is None:
                result.will_receive += 1
            else:
                result.excluded[reason] += 1
    result.not_found = found["not_found"]
    if channel.tps:
        result.eta_seconds = math.ceil(result.will_receive / channel.tps)
    return result


async def visible_to(uow: DispatcherUnitOfWork, by: Principal, broadcast: Broadcast) -> bool:
    """Staff see a broadcast when it reaches only groups assigned to them."""
    if broadcast.org_id != by.org_id:
        return False
    if by.role is not Role.STAFF:
        return True
    if broadcast.audience.contact_ids or not broadcast.audience.groups:
        return False
    groups = await uow.audience.get_groups(by.org_id, list(broadcast.audience.groups))
    return all(g in groups and by.subject in groups[g].staff for g in broadcast.audience.groups)


async def load_visible(
    uow: DispatcherUnitOfWork, by: Principal, broadcast_id: str
) -> tuple[Broadcast, Counter[str]]:
    """The broadcast and its recipients by status."""
    broadcast = await uow.broadcasts.get(by.org_id, broadcast_id)
    if broadcast is None or not await visible_to(uow, by, broadcast):
        raise BroadcastNotFound("no such broadcast", broadcast_id=broadcast_id)
    return broadcast, summed([await uow.broadcasts.counts(broadcast.id)])


async def broadcast_page(
    uow: DispatcherUnitOfWork, by: Principal, after: tuple[datetime, str] | None, limit: int
) -> tuple[list[Broadcast], Broadcast | None]:
    """Newest first: those the caller sees, and the last one read if there may be more."""
    page = await uow.broadcasts.page(by.org_id, after, limit)
    visible = [b for b in page if await visible_to(uow, by, b)]
    return visible, page[-1] if len(page) == limit else None
