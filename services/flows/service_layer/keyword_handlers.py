"""The organisation's keyword settings: changed by admins, checked whole, guarded by version."""

from __future__ import annotations

from services.flows.domain import commands
from services.flows.domain.errors import VersionConflict
from services.flows.domain.keywords import KeywordSettings
from services.flows.service_layer.unit_of_work import FlowsUnitOfWork


async def update_keywords(cmd: commands.UpdateKeywords, uow: FlowsUnitOfWork) -> KeywordSettings:
    settings = KeywordSettings.of(
        cmd.by.org_id, cmd.opt_out, cmd.opt_in, cmd.reactivate_on_any_message, cmd.version + 1
    )
    if not await uow.keywords.save(settings, cmd.version):
        current = await uow.keywords.get(cmd.by.org_id)
        raise VersionConflict(
            "the keywords were changed by someone else",
            expected_version=cmd.version,
            current_version=current.version,
        )
    return settings
