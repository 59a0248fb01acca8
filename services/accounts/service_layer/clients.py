"""API clients for other systems: made and revoked by an organisation's admins, and trading
their credentials for access tokens (OAuth 2.0 client credentials, RFC 6749 section 4.4). A
client's token is like a user's, with `sub` `client:<id>` and the client's role, and no session:
when it lapses the client asks again."""

from __future__ import annotations

from services.accounts.domain.clients import ApiClient
from services.accounts.domain.commands import CreateApiClient, IssueClientToken, RevokeApiClient
from services.accounts.domain.errors import Forbidden, InvalidClient, UnknownUser
from services.accounts.service_layer.handlers import current_key
from services.accounts.service_layer.results import ClientToken, MadeClient
from services.accounts.service_layer.tokens import access_token
from services.accounts.service_layer.unit_of_work import AccountsUnitOfWork
from shared.auth import Role
from shared.logging import get_logger

log = get_logger(__name__)


async def create_api_client(cmd: CreateApiClient, uow: AccountsUnitOfWork) -> MadeClient:
    if cmd.by.role != Role.ADMIN:
        raise Forbidden("only admins make API clients")
    client, secret = ApiClient.make(
        uow.new_id().replace("-", ""), cmd.by.org_id, cmd.name.strip() or "API client",
        cmd.role, cmd.by.subject, uow.clock(),
    )  # fmt: skip
    await uow.clients.add(client)
    log.info("api_client_created", client_id=client.id, role=cmd.role.value, by=cmd.by.actor)
    return MadeClient(client, secret)


async def revoke_api_client(cmd: RevokeApiClient, uow: AccountsUnitOfWork) -> None:
    if cmd.by.role != Role.ADMIN:
        raise Forbidden("only admins revoke API clients")
    client = await uow.clients.get(cmd.client_id)
    if client is None or client.org_id != cmd.by.org_id:
        raise UnknownUser("no such API client in this organisation", client_id=cmd.client_id)
    await uow.clients.revoke(client.id, uow.clock())
    log.info("api_client_revoked", client_id=client.id, by=cmd.by.actor)


async def issue_client_token(cmd: IssueClientToken, uow: AccountsUnitOfWork) -> ClientToken:
    client = await uow.clients.get(cmd.client_id)
    if client is None:
        raise InvalidClient("the client credentials are not right")
    client.check(cmd.client_secret)
    now = uow.clock()
    await uow.clients.used(client.id, now)
    key = await current_key(uow)
    token = access_token(
        key, uow.tokens, user_id=client.subject, org_id=client.org_id, role=client.role,
        session_id=None, now=now,
    )  # fmt: skip
    return ClientToken(token, int(uow.tokens.access_ttl.total_seconds()), client.role)
