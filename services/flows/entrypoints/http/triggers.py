"""Keyword triggers (`/v1/triggers`): a keyword (or none: the catch-all) that starts a flow for
whoever sends it, with group and channel conditions. Admins and managers keep them; every role
reads them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from services.flows.domain import commands
from services.flows.domain.triggers import MAX_GROUPS, MAX_KEYWORD, Trigger
from services.flows.entrypoints.http.dependencies import Uow
from services.flows.service_layer.queries import load_trigger
from shared.auth import Role
from shared.http.dependencies import Bus, Caller
from shared.http.security import require_role

router = APIRouter(prefix="/v1/triggers", tags=["triggers"])
KEEPERS = (Role.ADMIN, Role.MANAGER)
TriggerId = Annotated[str, Path(max_length=100)]
KEYWORD = Field(
    default=None,
    max_length=MAX_KEYWORD,
    description="One word; none: the catch-all, for messages nothing else matched",
)
MATCH = "The whole message (`only`), or its first word (`starts_with`)"


class TriggerView(BaseModel):
    id: str
    flow_id: str
    keyword: str | None
    match: str
    channel_id: str | None
    include_groups: list[str]
    exclude_groups: list[str]
    created_at: datetime
    version: int

    @classmethod
    def of(cls, t: Trigger) -> TriggerView:
        return cls(
            id=t.id,
            flow_id=t.flow_id,
            keyword=t.keyword,
            match=t.match,
            channel_id=t.channel_id,
            include_groups=t.include_groups,
            exclude_groups=t.exclude_groups,
            created_at=t.created_at,
            version=t.version,
        )


class TriggerList(BaseModel):
    items: list[TriggerView]


class TriggerBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    flow_id: str = Field(max_length=100)
    keyword: str | None = KEYWORD
    match: Literal["only", "starts_with"] = Field(default="only", description=MATCH)
    channel_id: str | None = Field(default=None, max_length=100)
    include_groups: list[str] = Field(default_factory=list, max_length=MAX_GROUPS)
    exclude_groups: list[str] = Field(default_factory=list, max_length=MAX_GROUPS)


class TriggerChanges(BaseModel):
    model_config = ConfigDict(extra="forbid")

    flow_id: str | None = Field(default=None, max_length=100)
    keyword: str | None = KEYWORD
    match: Literal["only", "starts_with"] | None = None
    channel_id: str | None = Field(default=None, max_length=100)
    include_groups: list[str] | None = Field(default=None, max_length=MAX_GROUPS)
    exclude_groups: list[str] | None = Field(default=None, max_length=MAX_GROUPS)
    version: int = Field(ge=1, description="The version read")


@router.post("", response_model=TriggerView, status_code=201)
async def create_trigger(body: TriggerBody, by: Caller, bus: Bus) -> TriggerView:
    require_role(by, KEEPERS, "create triggers")
    trigger: Trigger = await bus.handle(commands.CreateTrigger(by=by, **body.model_dump()))
    return TriggerView.of(trigger)


@router.get("", response_model=TriggerList)
async def list_triggers(by: Caller, uow: Uow) -> TriggerList:
    return TriggerList(items=[TriggerView.of(t) for t in await uow.triggers.of_org(by.org_id)])


@router.get("/{trigger_id}", response_model=TriggerView)
async def get_trigger(trigger_id: TriggerId, by: Caller, uow: Uow) -> TriggerView:
    return TriggerView.of(await load_trigger(uow, by.org_id, trigger_id))


@router.patch("/{trigger_id}", response_model=TriggerView)
async def update_trigger(
    trigger_id: TriggerId, body: TriggerChanges, by: Caller, bus: Bus
) -> TriggerView:
    """Only the attributes given change (`keyword` or `channel_id` given null: cleared)."""
    require_role(by, KEEPERS, "change triggers")
    changes = body.model_dump(exclude_unset=True, exclude={"version"})
    trigger: Trigger = await bus.handle(
        commands.UpdateTrigger(by=by, trigger_id=trigger_id, changes=changes, version=body.version)
    )
    return TriggerView.of(trigger)


@router.delete("/{trigger_id}", status_code=204)
async def delete_trigger(trigger_id: TriggerId, by: Caller, bus: Bus) -> Response:
    require_role(by, KEEPERS, "delete triggers")
    await bus.handle(commands.DeleteTrigger(by=by, trigger_id=trigger_id))
    return Response(status_code=204)
