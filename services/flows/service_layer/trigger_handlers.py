"""Keyword triggers kept by the organisation: created, changed at the version read, deleted.
A trigger's flow and groups must be the organisation's; two triggers with the same keyword,
match, channel and groups are one too many (`duplicate_trigger`): which would win?"""

from __future__ import annotations

from typing import Any

from services.flows.domain import commands
from services.flows.domain.errors import (
    InvalidTrigger,
    VersionConflict,
)
from services.flows.domain.triggers import Trigger
from services.flows.service_layer.queries import load_flow, load_trigger
from services.flows.service_layer.unit_of_work import FlowsUnitOfWork
from shared.errors import DomainError

CHANGEABLE = ("flow_id", "keyword", "match", "channel_id", "include_groups", "exclude_groups")


class DuplicateTrigger(DomainError):
    code = "duplicate_trigger"
    status = 409


async def create_trigger(cmd: commands.CreateTrigger, uow: FlowsUnitOfWork) -> Trigger:
    trigger = Trigger(
        id=uow.new_id(),
        org_id=cmd.by.org_id,
        flow_id=cmd.flow_id,
        keyword=Trigger.checked_keyword(cmd.keyword),
        match=_match(cmd.match),
        created_at=uow.clock(),
        channel_id=cmd.channel_id or None,
        include_groups=list(dict.fromkeys(cmd.include_groups)),
        exclude_groups=list(dict.fromkeys(cmd.exclude_groups)),
    )
    await _check(uow, trigger)
    await uow.triggers.add(trigger)
    return trigger


async def update_trigger(cmd: commands.UpdateTrigger, uow: FlowsUnitOfWork) -> Trigger:
    trigger = await load_trigger(uow, cmd.by.org_id, cmd.trigger_id)
    read_version = trigger.version
    if read_version != cmd.version:
        raise VersionConflict(
            "the trigger was changed by someone else",
            expected_version=cmd.version,
            current_version=read_version,
        )
    unknown = sorted(set(cmd.changes) - set(CHANGEABLE))
    if unknown:
        raise InvalidTrigger(f"{unknown[0]} cannot be changed", field=unknown[0])
    changes: dict[str, Any] = dict(cmd.changes)
    if "keyword" in changes:
        changes["keyword"] = Trigger.checked_keyword(changes["keyword"])
    if "match" in changes:
        changes["match"] = _match(changes["match"])
    if "channel_id" in changes:
        changes["channel_id"] = changes["channel_id"] or None
    for key, value in changes.items():
        setattr(trigger, key, value)
    trigger.version += 1
    await _check(uow, trigger)
    if not await uow.triggers.save(trigger, read_version):
        raise VersionConflict("the trigger was changed by someone else")
    return trigger


async def delete_trigger(cmd: commands.DeleteTrigger, uow: FlowsUnitOfWork) -> None:
    trigger = await load_trigger(uow, cmd.by.org_id, cmd.trigger_id)
    read_version = trigger.version
    trigger.deleted, trigger.version = True, trigger.version + 1
    if not await uow.triggers.save(trigger, read_version):
        raise VersionConflict("the trigger was changed by someone else")


def _match(value: str) -> Any:
    if value not in ("only", "starts_with"):
        raise InvalidTrigger("match is only or starts_with", field="match")
    return value


async def _check(uow: FlowsUnitOfWork, trigger: Trigger) -> None:
    trigger.check()
    await load_flow(uow, trigger.org_id, trigger.flow_id)
    named = [*trigger.include_groups, *trigger.exclude_groups]
    known = await uow.audience.get_groups(trigger.org_id, named)
    if unknown := [g for g in named if g not in known]:
        raise InvalidTrigger("no such group", field="include_groups", unknown=unknown)
    same = (
        trigger.keyword,
        trigger.match,
        trigger.channel_id,
        sorted(trigger.include_groups),
        sorted(trigger.exclude_groups),
    )
    for other in await uow.triggers.of_org(trigger.org_id):
        if other.id != trigger.id and same == (
            other.keyword,
            other.match,
            other.channel_id,
            sorted(other.include_groups),
            sorted(other.exclude_groups),
        ):
            raise DuplicateTrigger("a trigger with the same conditions exists", id=other.id)
