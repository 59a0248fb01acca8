"""Flows kept by the organisation: created, changed (at the version read), deleted, and
imported from a RapidPro/TextIt export. Every definition is read whole when saved, its group
references matched to the organisation's groups (by id, else by name): a flow that uses
anything this service cannot run is refused with each part named (`invalid_flow`); an import
creates every flow it can and reports the others, flow by flow."""

from __future__ import annotations

from typing import Any

from services.flows.domain import commands
from services.flows.domain.errors import InvalidFlow, VersionConflict
from services.flows.domain.flows import Flow, checked
from services.flows.service_layer.queries import load_flow
from services.flows.service_layer.results import ImportReport
from services.flows.service_layer.unit_of_work import FlowsUnitOfWork
from shared.errors import DomainError

MAX_IMPORTED = 100


async def _groups(uow: FlowsUnitOfWork, org_id: str) -> dict[str, str]:
    return {g.id: g.name for g in await uow.audience.org_groups(org_id)}


async def create_flow(cmd: commands.CreateFlow, uow: FlowsUnitOfWork) -> Flow:
    definition, name = checked(cmd.definition, await _groups(uow, cmd.by.org_id))
    now = uow.clock()
    flow = Flow(id=uow.new_id(), org_id=cmd.by.org_id, name=name, definition=definition,
                created_at=now, updated_at=now)  # fmt: skip
    await uow.flows.add(flow)
    return flow


async def update_flow(cmd: commands.UpdateFlow, uow: FlowsUnitOfWork) -> Flow:
    """Runs already waiting carry on with the new definition from the node they wait at (a
    node gone from it ends them, `failed`)."""
    flow = await load_flow(uow, cmd.by.org_id, cmd.flow_id)
    read_version = flow.version
    if read_version != cmd.version:
        raise VersionConflict(
            "the flow was changed by someone else",
            expected_version=cmd.version,
            current_version=read_version,
        )
    flow.change(cmd.definition, await _groups(uow, cmd.by.org_id), uow.clock())
    if not await uow.flows.save(flow, read_version):
        raise VersionConflict("the flow was changed by someone else",
                              expected_version=cmd.version)  # fmt: skip
    return flow


async def delete_flow(cmd: commands.DeleteFlow, uow: FlowsUnitOfWork) -> None:
    """Its waiting runs end as `interrupted` when they next move (a message, a timeout)."""
    flow = await load_flow(uow, cmd.by.org_id, cmd.flow_id)
    read_version = flow.version
    flow.deleted, flow.version, flow.updated_at = True, flow.version + 1, uow.clock()
    if not await uow.flows.save(flow, read_version):
        raise VersionConflict("the flow was changed by someone else")


async def import_flows(cmd: commands.ImportFlows, uow: FlowsUnitOfWork) -> ImportReport:
    raw_flows = cmd.export.get("flows") if isinstance(cmd.export, dict) else None
    if not isinstance(raw_flows, list) or not raw_flows:
        raise InvalidFlow("an export holds a list of flows (`flows`)")
    if len(raw_flows) > MAX_IMPORTED:
        raise InvalidFlow(f"at most {MAX_IMPORTED} flows per import")
    report, groups = ImportReport(), await _groups(uow, cmd.by.org_id)
    for raw in raw_flows:
        try:
            report.created.append(await _import_one(raw, groups, cmd, uow))
        except DomainError as exc:
            named = raw if isinstance(raw, dict) else {}
            report.refused.append({"name": str(named.get("name") or ""),
                                   "uuid": str(named.get("uuid") or ""), "code": exc.code,
                                   "message": exc.message,
                                   "problems": exc.details.get("problems", [])})  # fmt: skip
    return report


async def _import_one(
    raw: Any, groups: dict[str, str], cmd: commands.ImportFlows, uow: FlowsUnitOfWork
) -> Flow:
    definition, name = checked(raw, groups)
    now = uow.clock()
    flow = Flow(id=uow.new_id(), org_id=cmd.by.org_id, name=name, definition=definition,
                created_at=now, updated_at=now)  # fmt: skip
    await uow.flows.add(flow)
    return flow
