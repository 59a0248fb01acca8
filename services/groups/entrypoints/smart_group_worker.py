"""Evaluates smart groups in the background after their query was set.

At start it picks up every group still `evaluating` (a crash only delays the evaluation).
"""

from __future__ import annotations

from services.groups.domain.commands import EvaluateSmartGroup
from services.groups.service_layer.smart_groups import evaluate_smart_group
from services.groups.service_layer.unit_of_work import GroupsUnitOfWork
from shared.background import KeyedJobs


class SmartGroupWorker:
    def __init__(self, uow: GroupsUnitOfWork) -> None:
        self._uow = uow
        self._jobs: KeyedJobs[tuple[str, str]] = KeyedJobs("smart_group", self._evaluate)

    async def start(self) -> None:
        for group in await self._uow.groups.evaluating():
            self.schedule(group.org_id, group.id)

    def schedule(self, org_id: str, group_id: str) -> None:
        self._jobs.schedule((org_id, group_id))

    async def idle(self) -> None:
        await self._jobs.idle()

    async def stop(self) -> None:
        await self._jobs.stop()

    async def _evaluate(self, job: tuple[str, str]) -> bool:
        org_id, group_id = job
        return await evaluate_smart_group(EvaluateSmartGroup(org_id, group_id), self._uow)
