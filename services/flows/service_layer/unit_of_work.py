"""What the flows service's handlers work with: its conversations, keyword settings, flows,
runs, audience copy and copy of organisations' settings (as ports), the clock and ids."""

from __future__ import annotations

from dataclasses import dataclass, field

from services.flows.service_layer.ports import (
    ConversationRepository,
    FlowRepository,
    KeywordSettingsRepository,
    RunRepository,
    TriggerRepository,
)
from shared.clock import Clock, utc_now
from shared.contracts.audience_copy import AudienceProjection
from shared.contracts.organization_copy import OrganizationCopies
from shared.ids import IdFactory, new_uuid


@dataclass
class FlowsUnitOfWork:
    conversations: ConversationRepository
    keywords: KeywordSettingsRepository
    audience: AudienceProjection
    flows: FlowRepository
    runs: RunRepository
    triggers: TriggerRepository
    organizations: OrganizationCopies
    clock: Clock = utc_now
    new_id: IdFactory = field(default=new_uuid)
