"""What the flows service's API reads. Staff see only contacts in the groups assigned to them;
any other contact answers not found, as if it did not exist (as the contacts service does)."""

from __future__ import annotations

from datetime import datetime

from services.flows.domain.conversation import ConversationMessage
from services.flows.domain.errors import ContactNotFound, FlowNotFound, TriggerNotFound
from services.flows.domain.flows import Flow
from services.flows.domain.runs import FlowRun
from services.flows.domain.triggers import Trigger
from services.flows.service_layer.unit_of_work import FlowsUnitOfWork
from shared.auth import Principal, Role


async def contact_messages(
    uow: FlowsUnitOfWork,
    by: Principal,
    contact_id: str,
    before: tuple[datetime, str] | None,
    limit: int,
) -> list[ConversationMessage]:
    """The contact's messages, newest first. A contact this service has no copy of and no
    message for is not found; one whose copy has not arrived yet (its messages came first)
    is shown to admins and managers."""
    await check_visible(uow, by, contact_id)
    return await uow.conversations.page(by.org_id, contact_id, before, limit)


async def contact_runs(
    uow: FlowsUnitOfWork, by: Principal, contact_id: str, after: str | None, limit: int
) -> list[FlowRun]:
    await check_visible(uow, by, contact_id)
    return await uow.runs.page(by.org_id, contact_id=contact_id, after=after, limit=limit)


async def check_visible(uow: FlowsUnitOfWork, by: Principal, contact_id: str) -> None:
    contacts = await uow.audience.get_contacts(by.org_id, [contact_id])
    contact = contacts.get(contact_id)
    if by.role is Role.STAFF:
        groups = await uow.audience.get_groups(by.org_id, contact.groups if contact else [])
        if not any(by.subject in g.staff for g in groups.values()):
            raise ContactNotFound("contact not found", id=contact_id)
    elif (contact is None or contact.gone) and not await uow.conversations.has_messages(
        by.org_id, contact_id
    ):
        raise ContactNotFound("contact not found", id=contact_id)


async def load_flow(uow: FlowsUnitOfWork, org_id: str, flow_id: str) -> Flow:
    flow = await uow.flows.get(org_id, flow_id)
    if flow is None:
        raise FlowNotFound("flow not found", id=flow_id)
    return flow


async def load_trigger(uow: FlowsUnitOfWork, org_id: str, trigger_id: str) -> Trigger:
    trigger = await uow.triggers.get(org_id, trigger_id)
    if trigger is None:
        raise TriggerNotFound("trigger not found", id=trigger_id)
    return trigger
