"""Routes for custom field definitions (admins and managers change them; everyone reads)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from services.contacts.domain import commands
from services.contacts.entrypoints.field_values_worker import FieldValuesWorker
from services.contacts.entrypoints.http.dependencies import get_field_values, get_uow
from services.contacts.entrypoints.http.schemas import FieldBody, FieldPatch, FieldView
from services.contacts.service_layer import field_handlers, queries
from services.contacts.service_layer.unit_of_work import ContactsUnitOfWork
from shared.auth import Principal, Role
from shared.http.security import authenticate, require_role

router = APIRouter(prefix="/v1/fields", tags=["fields"])

Caller = Annotated[Principal, Depends(authenticate)]
Uow = Annotated[ContactsUnitOfWork, Depends(get_uow)]
Worker = Annotated[FieldValuesWorker, Depends(get_field_values)]
CAN_MANAGE = (Role.ADMIN, Role.MANAGER)


@router.get("", response_model=list[FieldView])
async def list_fields(by: Caller, uow: Uow) -> list[FieldView]:
    return [FieldView.of(d) for d in await uow.fields.all(by.org_id)]


@router.post("", status_code=201, response_model=FieldView)
async def define_field(body: FieldBody, by: Caller, uow: Uow) -> FieldView:
    require_role(by, CAN_MANAGE, "define fields")
    definition = await field_handlers.define_field(
        commands.DefineField(by=by, **body.model_dump()), uow
    )
    return FieldView.of(definition)


@router.get("/{key}", response_model=FieldView)
async def get_field(key: str, by: Caller, uow: Uow) -> FieldView:
    return FieldView.of(await field_handlers.load_field(uow, by.org_id, key))


@router.get("/{key}/where-used")
async def where_used(key: str, by: Caller, uow: Uow) -> dict[str, list[dict[str, str]]]:
    """What reads this field: smart groups (broadcasts and flows when they exist)."""
    require_role(by, CAN_MANAGE, "see where fields are used")
    definition = await field_handlers.load_field(uow, by.org_id, key)
    using = await queries.smart_groups_using(uow, by.org_id, definition.key)
    return {"smart_groups": [{"id": g.id, "name": g.name} for g in using]}


@router.patch("/{key}", response_model=FieldView)
async def change_field(
    key: str, body: FieldPatch, by: Caller, uow: Uow, worker: Worker
) -> FieldView:
    require_role(by, CAN_MANAGE, "change fields")
    definition = await field_handlers.change_field(
        commands.ChangeField(by=by, key=key, changes=body.model_dump(exclude_unset=True)), uow
    )
    if definition.values_pending:
        worker.schedule(by.org_id, key)
    return FieldView.of(definition)


@router.delete("/{key}", status_code=204)
async def delete_field(key: str, by: Caller, uow: Uow, worker: Worker) -> Response:
    require_role(by, CAN_MANAGE, "delete fields")
    await field_handlers.delete_field(commands.DeleteField(by=by, key=key), uow)
    worker.schedule(by.org_id, key)
    return Response(status_code=204)
