"""The groups service's background work: evaluating smart groups after their query was set, and
carrying out changes of members by query, each through the service's bus.

At start it picks up every smart group still `evaluating` and every change still `running`: a
crash only delays them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from services.groups.domain.commands import EvaluateSmartGroup, RunMemberChange
from services.groups.service_layer.ports import GroupRepository, MemberChangeRepository
from shared.background import KeyedJobs


class GroupsBackground:
    def __init__(
        self,
        groups: GroupRepository,
        member_changes: MemberChangeRepository,
        handle: Callable[[object], Awaitable[object]],
    ) -> None:
        """`handle`: the service's bus; each run answers True once nothing is left to do."""
        self._groups = groups
        self._member_changes = member_changes

        async def run(command: object) -> bool:
            return bool(await handle(command))

        self._smart_groups: KeyedJobs[EvaluateSmartGroup] = KeyedJobs("smart_group", run)
        self._changes: KeyedJobs[RunMemberChange] = KeyedJobs("member_change", run)

    async def start(self) -> None:
        for group in await self._groups.evaluating():
            self.evaluate(group.org_id, group.id)
        for change in await self._member_changes.running():
            self.change_members(change.org_id, change.id)

    def evaluate(self, org_id: str, group_id: str) -> None:
        self._smart_groups.schedule(EvaluateSmartGroup(org_id, group_id))

    def change_members(self, org_id: str, change_id: str) -> None:
        self._changes.schedule(RunMemberChange(org_id, change_id))

    async def idle(self) -> None:
        """Waits until no run is in progress (tests use it)."""
        await self._smart_groups.idle()
        await self._changes.idle()

    async def stop(self) -> None:
        await self._smart_groups.stop()
        await self._changes.stop()
