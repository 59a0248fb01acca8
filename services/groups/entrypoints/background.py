"""The groups service's background work: evaluating smart groups after their query was set, and
carrying out changes of members by query.

At start it picks up every smart group still `evaluating` and every change still `running`: a
crash only delays them.
"""

from __future__ import annotations

from services.groups.domain.commands import EvaluateSmartGroup, RunMemberChange
from services.groups.service_layer.member_changes import run_member_change
from services.groups.service_layer.smart_groups import evaluate_smart_group
from services.groups.service_layer.unit_of_work import GroupsUnitOfWork
from shared.background import KeyedJobs


class GroupsBackground:
    def __init__(self, uow: GroupsUnitOfWork) -> None:
        self._uow = uow
        self._smart_groups: KeyedJobs[EvaluateSmartGroup] = KeyedJobs(
            "smart_group", lambda cmd: evaluate_smart_group(cmd, uow)
        )
        self._member_changes: KeyedJobs[RunMemberChange] = KeyedJobs(
            "member_change", lambda cmd: run_member_change(cmd, uow)
        )

    async def start(self) -> None:
        for group in await self._uow.groups.evaluating():
            self.evaluate(group.org_id, group.id)
        for change in await self._uow.member_changes.running():
            self.change_members(change.org_id, change.id)

    def evaluate(self, org_id: str, group_id: str) -> None:
        self._smart_groups.schedule(EvaluateSmartGroup(org_id, group_id))

    def change_members(self, org_id: str, change_id: str) -> None:
        self._member_changes.schedule(RunMemberChange(org_id, change_id))

    async def idle(self) -> None:
        """Waits until no run is in progress (tests use it)."""
        await self._smart_groups.idle()
        await self._member_changes.idle()

    async def stop(self) -> None:
        await self._smart_groups.stop()
        await self._member_changes.stop()
