"""Routes for custom field definitions (admins and managers change them; everyone reads)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from services.contacts.domain import commands
from services.contacts.entrypoints.http.dependencies import Uow
from services.contacts.entrypoints.http.schemas import (
    FieldBody,
    FieldPatch,
    FieldUsage,
    FieldView,
    GroupRef,
)
from services.contacts.service_layer import field_handlers, queries
from shared.auth import Role
from shared.http.dependencies import Bus, Caller
from shared.http.security import require_role

router = APIRouter(prefix="/v1/fields", tags=["fields"])

CAN_MANAGE = (Role.ADMIN, Role.MANAGER)


@router.get("", response_model=list[FieldView])
async def list_fields(by: Caller, uow: Uow) -> list[FieldView]:
    return [FieldView.of(d) for d in await uow.fields.all(by.org_id)]


@router.post("", status_code=201, response_model=FieldView)
async def define_field(body: FieldBody, by: Caller, bus: Bus) -> FieldView:
    require_role(by, CAN_MANAGE, "define fields")
    definition = await bus.handle(commands.DefineField(by=by, **body.model_dump()))
    return FieldView.of(definition)


@router.get("/{key}", response_model=FieldView)
async def get_field(key: str, by: Caller, uow: Uow) -> FieldView:
    return FieldView.of(await field_handlers.load_field(uow, by.org_id, key))


@router.get("/{key}/where-used", response_model=FieldUsage)
async def get_field_usage(key: str, by: Caller, uow: Uow) -> FieldUsage:
    """What reads this field: smart groups (broadcasts and flows when they exist)."""
    require_role(by, CAN_MANAGE, "see where fields are used")
    definition = await field_handlers.load_field(uow, by.org_id, key)
    using = await queries.smart_groups_using(uow, by.org_id, definition.key)
    return FieldUsage(smart_groups=[GroupRef(id=g.id, name=g.name) for g in using])


@router.patch("/{key}", response_model=FieldView)
async def change_field(key: str, body: FieldPatch, by: Caller, bus: Bus) -> FieldView:
    require_role(by, CAN_MANAGE, "change fields")
    definition = await bus.handle(
        commands.ChangeField(by=by, key=key, changes=body.model_dump(exclude_unset=True))
    )
    return FieldView.of(definition)


@router.delete("/{key}", status_code=204)
async def delete_field(key: str, by: Caller, bus: Bus) -> Response:
    require_role(by, CAN_MANAGE, "delete fields")
    await bus.handle(commands.DeleteField(by=by, key=key))
    return Response(status_code=204)
