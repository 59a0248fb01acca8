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

from services.dispatcher.domain.audience import EXCLUSIONS, Audience, Screen
from services.dispatcher.domain.broadcasts import Broadcast
from services.dispatcher.domain.channels import Channel, ChannelType
from services.dispatcher.domain.errors import (
    BroadcastNotFound,
    EmptyAudience,
    InvalidBroadcast,
    NotYourGroup,
    UnknownChannel,
    UnknownGroups,
    UnknownTemplate,
)
from services.dispatcher.domain.messages import FreeText, Message, TemplateMessage
from services.dispatcher.domain.recipients import summed
from services.dispatcher.service_layer.unit_of_work import DispatcherUnitOfWork
from shared.auth import Principal, Role
from shared.catch_up import ASK_ONCE, CatchUp
from shared.contactql.resolve import (
    ContactQuery,
)
from shared.contracts.audience_copy import AudienceContact, AudienceGroup
from shared.contracts.audience_copy import audience_query as read_audience_query

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
    if audience.empty:
        raise EmptyAudience("name at least one group, contact or query")
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
        if audience.contact_ids or audience.query:
            raise NotYourGroup("staff send to their groups, not to contacts by id or query")
        foreign = [g for g in audience.groups if by.subject not in groups[g].staff]
        if foreign:
            raise NotYourGroup("these groups are not assigned to you", group_ids=foreign)
    return groups


async def audience_query(
    uow: DispatcherUnitOfWork, org_id: str, audience: Audience, catch_up: CatchUp = ASK_ONCE
) -> ContactQuery | None:
    """The audience's contactql query, if it has one (`shared.contracts.audience_copy`)."""
    if not audience.query:
        return None
    return await read_audience_query(
        uow.audience, uow.organizations, org_id, audience.query, catch_up
    )


async def broadcast_message(
    uow: DispatcherUnitOfWork, org_id: str, text: str | None, template_id: str | None
) -> Message:
    """Free text, or a copy of the organisation's template: one of the two."""
    if template_id is None:
        return FreeText.of(text)
    if text is not None:
        raise InvalidBroadcast("a text or a template, not both", field="template_id")
    template = await uow.templates.get(org_id, template_id)
    if template is None:
        raise UnknownTemplate("no such template", template_id=template_id)
    return TemplateMessage(template)


async def broadcast_channel(uow: DispatcherUnitOfWork, org_id: str, channel_id: str) -> Channel:
    channel = await uow.channels.get(org_id, channel_id)
    if channel is None:
        raise UnknownChannel("no such channel", channel_id=channel_id)
    return channel


async def audience_pages(
    uow: DispatcherUnitOfWork,
    org_id: str,
    audience: Audience,
    found: Counter[str],
    query: ContactQuery | None = None,
) -> AsyncIterator[list[AudienceContact]]:
    """The contacts the audience names, each once, a page at a time: the groups' members,
    then the contacts named by id, then those the `query` (the audience's, parsed) matches;
    `found["not_found"]` counts the contact ids named that are not (or not yet) known here."""
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
    if query is None:
        return
    by_id = set(named)
    async for matched in uow.audience.matching_pages(org_id, query.predicate):
        page = [c for c in matched
                if c.known and c.id not in by_id and earlier.isdisjoint(c.groups)]  # fmt: skip
        if page:
            yield page


def screen_for(
    channel: Channel,
    audience: Audience,
    blacklisted: frozenset[str],
    now: datetime,
    message: Message | None,
    default_language: str | None,
) -> Screen:
    """WhatsApp takes free text only within 24 hours of the contact's last message; templates
    at any time. A preview without a message is read as free text."""
    window = channel.type is ChannelType.WHATSAPP_CLOUD and (
        message is None or message.needs_window
    )
    return Screen(
        requires_opt_in=channel.requires_opt_in,
        blacklisted_groups=blacklisted,
        excluded_groups=frozenset(audience.exclude_groups),
        message=message,
        default_language=default_language,
        window_opened_after=now - SERVICE_WINDOW if window else None,
    )


async def preview(
    uow: DispatcherUnitOfWork,
    by: Principal,
    audience: Audience,
    channel_id: str,
    catch_up: CatchUp = ASK_ONCE,
    text: str | None = None,
    template_id: str | None = None,
) -> Preview:
    """Counts, contact by contact, who would receive a broadcast now and why the others would
    not: `audience == will_receive + sum(excluded)`. Without a text or template, the message's
    own exclusions (`missing_variable`, `no_template_language`) are not counted."""
    await audience_groups(uow, by, audience, catch_up)
    query = await audience_query(uow, by.org_id, audience, catch_up)
    channel = await broadcast_channel(uow, by.org_id, channel_id)
    message = None
    if text is not None or template_id is not None:
        message = await broadcast_message(uow, by.org_id, text, template_id)
    blacklisted = await uow.audience.blacklisted_groups(by.org_id)
    settings = await uow.organizations.get(by.org_id)
    screen = screen_for(
        channel, audience, blacklisted, uow.clock(), message, settings.default_language
    )
    result = Preview(excluded=Counter(dict.fromkeys(EXCLUSIONS, 0)))
    found: Counter[str] = Counter()
    async for page in audience_pages(uow, by.org_id, audience, found, query):
        for contact in page:
            result.audience += 1
            reason = screen.exclusion(contact)
            if reason is None:
                result.will_receive += 1
            else:
                result.excluded[reason] += 1
    result.not_found = found["not_found"]
    result.eta_seconds = await eta_seconds(uow, channel, result.will_receive)
    return result


async def eta_seconds(uow: DispatcherUnitOfWork, channel: Channel, count: int) -> int:
    """How long `count` messages take on the channel beside the broadcasts sending on it now.
    The channel goes round robin between them: while this one sends its `count`, each other
    sends as many, or what it has left if less."""
    if not channel.tps or not count:
        return 0
    ahead = 0
    for other in await uow.broadcasts.sending_on(channel.id):
        left = await uow.broadcasts.counts(other.id)
        ahead += min(count, left["queued"] + left["sending"])
    return math.ceil((count + ahead) / channel.tps)


async def visible_to(uow: DispatcherUnitOfWork, by: Principal, broadcast: Broadcast) -> bool:
    """Staff see a broadcast when it reaches only groups assigned to them."""
    if broadcast.org_id != by.org_id:
        return False
    if by.role is not Role.STAFF:
        return True
    if broadcast.audience.contact_ids or broadcast.audience.query or not broadcast.audience.groups:
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
