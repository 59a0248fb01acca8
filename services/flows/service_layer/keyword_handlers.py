"""The organisation's keyword settings: changed by admins, checked whole, guarded by version."""

from __future__ import annotations

from services.flows.domain import commands
from services.flows.domain.errors import InvalidKeywords, VersionConflict
from services.flows.domain.keywords import KeywordSettings
from services.flows.service_layer.unit_of_work import FlowsUnitOfWork
from shared.catch_up import CatchUp


async def update_keywords(
    cmd: commands.UpdateKeywords, uow: FlowsUnitOfWork, catch_up: CatchUp
) -> KeywordSettings:
    """The opt-in group must be one of the organisation's (a group created a moment ago in the
    groups service is waited for: `catch_up`)."""
    settings = KeywordSettings.of(
        cmd.by.org_id, cmd.opt_out, cmd.opt_in, cmd.reactivate_on_any_message, cmd.version + 1,
        opt_out_reply=cmd.opt_out_reply, opt_in_reply=cmd.opt_in_reply,
        opt_in_group_id=cmd.opt_in_group_id,
    )  # fmt: skip
    if (group_id := settings.opt_in_group_id) is not None:

        async def known() -> bool:
            return bool(await uow.audience.get_groups(cmd.by.org_id, [group_id]))

        if not await catch_up.until(known):
            raise InvalidKeywords("no such group", field="opt_in_group_id", group_id=group_id)
    if not await uow.keywords.save(settings, cmd.version):
        current = await uow.keywords.get(cmd.by.org_id)
        raise VersionConflict(
            "the keywords were changed by someone else",
            expected_version=cmd.version,
            current_version=current.version,
        )
    return settings
