"""What every service's routes depend on: the caller (every business route authenticates, so
none is open by accident), the service's message bus, which their commands go through, and
the catch-up of its projections, which reads of other services' news wait on."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from shared.auth import Principal
from shared.catch_up import CatchUp
from shared.http.security import authenticate
from shared.messagebus import MessageBus


async def get_bus(request: Request) -> MessageBus:
    bus: MessageBus = request.app.state.bus
    return bus


async def get_catch_up(request: Request) -> CatchUp:
    catch_up: CatchUp = request.app.state.catch_up
    return catch_up


Caller = Annotated[Principal, Depends(authenticate)]
Bus = Annotated[MessageBus, Depends(get_bus)]
# Reads that name what another service just created wait for it (`shared.catch_up`).
CatchUpDep = Annotated[CatchUp, Depends(get_catch_up)]
