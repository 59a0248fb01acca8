"""Every contact of the caller's organisation that is in a group, with its group ids, a page at a
time: the groups service (its members, `GET /v1/admin/groups/memberships`) and the contacts
service (its `contact.groups` projection, `GET /v1/admin/contacts/memberships`) answer in this
one shape, which is what `roster reconcile groups` compares. Each path has one owner, so one
ingress routes both."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from shared.auth import Principal, Role
from shared.http.security import authenticate, require_role

CONTACTS_MEMBERSHIPS = "/v1/admin/contacts/memberships"
GROUPS_MEMBERSHIPS = "/v1/admin/groups/memberships"


class ContactMemberships(BaseModel):
    id: str
    groups: list[str]


class MembershipPage(BaseModel):
    items: list[ContactMemberships]
    next_cursor: str | None


# (request, organisation, after this contact id, limit) → [(contact id, group ids)], by id.
MembershipReader = Callable[[Request, str, str | None, int], Awaitable[list[tuple[str, list[str]]]]]


def memberships_router(read: MembershipReader, path: str) -> APIRouter:
    router = APIRouter(tags=["admin"])

    @router.get(path, response_model=MembershipPage)
    async def list_memberships(
        request: Request,
        by: Annotated[Principal, Depends(authenticate)],
        limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
        cursor: str | None = None,
    ) -> MembershipPage:
        require_role(by, (Role.ADMIN,), "read all memberships")
        rows = await read(request, by.org_id, cursor, limit + 1)
        page, more = rows[:limit], len(rows) > limit
        return MembershipPage(
            items=[ContactMemberships(id=i, groups=sorted(g)) for i, g in page],
            next_cursor=page[-1][0] if more else None,
        )

    return router
