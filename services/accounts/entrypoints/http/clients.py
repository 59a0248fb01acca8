"""API clients for other systems: an organisation's admins make and revoke them, and a client
trades its credentials for an access token at `/v1/oauth/token` (OAuth 2.0 client credentials;
that endpoint answers errors the way OAuth clients expect, `{"error": "invalid_client"}`)."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import JSONResponse

from services.accounts.domain.clients import ApiClient
from services.accounts.domain.commands import CreateApiClient, IssueClientToken, RevokeApiClient
from services.accounts.domain.errors import InvalidClient
from services.accounts.entrypoints.http.schemas import (
    ApiClientList,
    ApiClientView,
    CreateApiClientRequest,
    MadeApiClientView,
    OAuthToken,
)
from services.accounts.service_layer import queries
from services.accounts.service_layer.results import ClientToken, MadeClient
from shared.auth import Role
from shared.http.dependencies import Bus, Caller
from shared.http.security import require_role

router = APIRouter(tags=["api clients"])


def _view(client: ApiClient) -> ApiClientView:
    return ApiClientView(
        client_id=client.id,
        name=client.name,
        role=client.role.value,
        created_at=client.created_at,
        revoked_at=client.revoked_at,
        last_used_at=client.last_used_at,
    )


@router.get("/v1/clients", response_model=ApiClientList)
async def list_clients(by: Caller, request: Request) -> ApiClientList:
    require_role(by, (Role.ADMIN,), "list API clients")
    clients = await queries.api_clients(request.app.state.uow, by.org_id)
    return ApiClientList(items=[_view(c) for c in clients])


@router.post("/v1/clients", status_code=201, response_model=MadeApiClientView)
async def create_client(body: CreateApiClientRequest, by: Caller, bus: Bus) -> MadeApiClientView:
    made: MadeClient = await bus.handle(CreateApiClient(by, body.name, Role(body.role)))
    return MadeApiClientView(client=_view(made.client), client_secret=made.secret)


@router.delete("/v1/clients/{client_id}", status_code=204)
async def revoke_client(client_id: str, by: Caller, bus: Bus) -> Response:
    await bus.handle(RevokeApiClient(by, client_id))
    return Response(status_code=204)


@router.post(
    "/v1/oauth/token",
    response_model=OAuthToken,
    responses={
        400: {"description": "unsupported_grant_type"},
        401: {"description": "invalid_client"},
    },
)
async def token(
    request: Request,
    bus: Bus,
    grant_type: Annotated[str, Form(max_length=64)],
    client_id: Annotated[str | None, Form(max_length=128)] = None,
    client_secret: Annotated[str | None, Form(max_length=256)] = None,
) -> OAuthToken | JSONResponse:
    """`grant_type=client_credentials`, with the client's id and secret in the form or in HTTP
    Basic authentication."""
    if grant_type != "client_credentials":
        return _oauth_error(400, "unsupported_grant_type", "only client_credentials is granted")
    basic = _basic(request.headers.get("authorization", ""))
    if basic is not None:
        client_id, client_secret = basic
    if not client_id or not client_secret:
        return _oauth_error(401, "invalid_client", "the client's id and secret are required")
    try:
        issued: ClientToken = await bus.handle(IssueClientToken(client_id, client_secret))
    except InvalidClient as exc:
        return _oauth_error(401, "invalid_client", exc.message)
    return OAuthToken(access_token=issued.access_token, expires_in=issued.expires_in)


def _basic(header: str) -> tuple[str, str] | None:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        decoded = base64.b64decode(value, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, secret = decoded.partition(":")
    return (client_id, secret) if sep else None


def _oauth_error(status: int, error: str, description: str) -> JSONResponse:
    headers = {"WWW-Authenticate": 'Basic realm="roster"'} if status == 401 else None
    return JSONResponse({"error": error, "error_description": description}, status, headers=headers)
