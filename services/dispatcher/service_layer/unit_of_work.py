"""What the dispatcher's handlers work with: its channels and its audience projection (as
ports), the clock and ids."""

from __future__ import annotations

from dataclasses import dataclass, field

from services.dispatcher.service_layer.ports import (
    BroadcastRepository,
    ChannelRepository,
    InboundRepository,
    ProviderIds,
    SingleMessageRepository,
    StatusInbox,
    TemplateRepository,
)
from shared.clock import Clock, utc_now
from shared.contracts.audience_copy import AudienceProjection
from shared.contracts.organization_copy import OrganizationCopies
from shared.ids import IdFactory, new_uuid


@dataclass
class DispatcherUnitOfWork:
    channels: ChannelRepository
    templates: TemplateRepository
    audience: AudienceProjection
    broadcasts: BroadcastRepository
    status_inbox: StatusInbox
    provider_ids: ProviderIds
    organizations: OrganizationCopies
    inbound: InboundRepository
    single_messages: SingleMessageRepository
    # Recipients handed to the provider in one step: what a crash can leave uncertain.
    send_window: int = 200
    clock: Clock = utc_now
    new_id: IdFactory = field(default=new_uuid)
