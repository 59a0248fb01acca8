"""The public keys access tokens are verified with (RFC 7517), for every service and anyone
else: no token needed, nothing secret in it."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from services.accounts.entrypoints.http.schemas import KeySet
from services.accounts.service_layer import queries

router = APIRouter(tags=["keys"])


@router.get("/.well-known/jwks.json", response_model=KeySet)
async def jwks(request: Request, response: Response) -> KeySet:
    # Short: verifiers fetch again on a key id they do not know, so a rotation never waits for
    # this to expire; caches in between just must not hold on for long.
    response.headers["Cache-Control"] = "public, max-age=60"
    return KeySet(keys=await queries.published_keys(request.app.state.uow))
