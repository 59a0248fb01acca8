"""Templates: created, changed and deleted by an organisation's admins and managers. A
broadcast keeps a copy of its template, so a change here never reaches one already created."""

from __future__ import annotations

from services.dispatcher.domain import commands
from services.dispatcher.domain.errors import TemplateNotFound, VersionConflict
from services.dispatcher.domain.templates import Template
from services.dispatcher.service_layer.unit_of_work import DispatcherUnitOfWork


async def create_template(cmd: commands.CreateTemplate, uow: DispatcherUnitOfWork) -> Template:
    template = Template.create(
        template_id=uow.new_id(),
        org_id=cmd.by.org_id,
        by=cmd.by.actor,
        now=uow.clock(),
        name=cmd.name,
        category=cmd.category,
        variants=cmd.variants,
        parameters=cmd.parameters,
    )
    await uow.templates.add(template)
    return template


async def load_template(uow: DispatcherUnitOfWork, org_id: str, template_id: str) -> Template:
    template = await uow.templates.get(org_id, template_id)
    if template is None:
        raise TemplateNotFound("no such template", template_id=template_id)
    return template


async def update_template(cmd: commands.UpdateTemplate, uow: DispatcherUnitOfWork) -> Template:
    template = await load_template(uow, cmd.by.org_id, cmd.template_id)
    version = template.version
    if cmd.expected_version is not None and cmd.expected_version != version:
        raise VersionConflict("the template changed since it was read", current_version=version)
    template.update(cmd.changes, uow.clock())
    if not await uow.templates.save(template, version):
        raise VersionConflict("the template changed meanwhile; read it again")
    return template


async def delete_template(cmd: commands.DeleteTemplate, uow: DispatcherUnitOfWork) -> None:
    template = await load_template(uow, cmd.by.org_id, cmd.template_id)
    version = template.version
    template.delete(uow.clock())
    if not await uow.templates.save(template, version):
        raise VersionConflict("the template changed meanwhile; read it again")
