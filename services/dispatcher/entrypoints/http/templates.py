"""Routes for templates: thin, they translate HTTP to commands and back. Every role reads the
organisation's templates (staff send with them); admins and managers write them."""

from __future__ import annotations

from fastapi import APIRouter, Response

from services.dispatcher.domain import commands
from services.dispatcher.domain.errors import TemplateNotFound
from services.dispatcher.entrypoints.http.dependencies import Uow
from services.dispatcher.entrypoints.http.schemas import (
    TemplateBody,
    TemplateList,
    TemplatePatch,
    TemplateView,
)
from shared.auth import Role
from shared.http.dependencies import Bus, Caller
from shared.http.security import require_role

router = APIRouter(prefix="/v1/templates", tags=["templates"])

WRITERS = (Role.ADMIN, Role.MANAGER)


@router.post("", status_code=201, response_model=TemplateView)
async def create_template(body: TemplateBody, by: Caller, bus: Bus) -> TemplateView:
    require_role(by, WRITERS, "create templates")
    template = await bus.handle(
        commands.CreateTemplate(
            by=by,
            name=body.name,
            category=body.category,
            variants=body.variants,
            parameters=body.parameters,
        )
    )
    return TemplateView.of(template)


@router.get("", response_model=TemplateList)
async def list_templates(by: Caller, uow: Uow) -> TemplateList:
    templates = await uow.templates.list(by.org_id)
    return TemplateList(items=[TemplateView.of(t) for t in templates], count=len(templates))


@router.get("/{template_id}", response_model=TemplateView)
async def get_template(template_id: str, by: Caller, uow: Uow) -> TemplateView:
    template = await uow.templates.get(by.org_id, template_id)
    if template is None:
        raise TemplateNotFound("no such template", template_id=template_id)
    return TemplateView.of(template)


@router.patch("/{template_id}", response_model=TemplateView)
async def update_template(
    template_id: str, body: TemplatePatch, by: Caller, bus: Bus
) -> TemplateView:
    require_role(by, WRITERS, "change templates")
    template = await bus.handle(
        commands.UpdateTemplate(
            by=by, template_id=template_id, changes=body.changes(), expected_version=body.version
        )
    )
    return TemplateView.of(template)


@router.delete("/{template_id}", status_code=204)
async def delete_template(template_id: str, by: Caller, bus: Bus) -> Response:
    require_role(by, WRITERS, "delete templates")
    await bus.handle(commands.DeleteTemplate(by=by, template_id=template_id))
    return Response(status_code=204)
