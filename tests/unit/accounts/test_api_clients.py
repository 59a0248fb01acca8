"""API clients: an admin makes one (its secret shown once, kept as a hash), it trades its
credentials for an access token every service verifies, with the client's role and no
session; a wrong secret or a revoked client gets none."""

from __future__ import annotations

import pytest

from services.accounts.domain.commands import CreateApiClient, IssueClientToken, RevokeApiClient
from services.accounts.domain.errors import Forbidden, InvalidClient
from services.accounts.service_layer.results import ClientToken, MadeClient
from shared.auth import Principal, Role
from tests.fakes.accounts import FakeAccounts

ADMIN = Principal("acme", Role.ADMIN, "admin-1")


async def test_a_client_trades_its_credentials_for_a_token_until_revoked(
    accounts: FakeAccounts,
) -> None:
    made: MadeClient = await accounts.bus.handle(CreateApiClient(ADMIN, "CRM sync", Role.MANAGER))
    stored = accounts.uow.clients.rows[made.client.id]  # type: ignore[attr-defined]
    assert made.secret not in repr(stored.__dict__)  # only its hash is kept

    issued: ClientToken = await accounts.bus.handle(IssueClientToken(made.client.id, made.secret))
    principal = await accounts.verifier().verify(issued.access_token)
    assert principal == Principal("acme", Role.MANAGER, f"client:{made.client.id}")
    assert principal.session_id is None
    assert (await accounts.uow.clients.get(made.client.id)).last_used_at == accounts.clock()  # type: ignore[union-attr]

    with pytest.raises(InvalidClient):
        await accounts.bus.handle(IssueClientToken(made.client.id, made.secret + "x"))
    with pytest.raises(InvalidClient):
        await accounts.bus.handle(IssueClientToken("rc_nosuchclient", made.secret))
    await accounts.bus.handle(RevokeApiClient(ADMIN, made.client.id))
    with pytest.raises(InvalidClient):
        await accounts.bus.handle(IssueClientToken(made.client.id, made.secret))


async def test_only_admins_make_or_revoke_clients_of_their_own_organisation(
    accounts: FakeAccounts,
) -> None:
    with pytest.raises(Forbidden):
        await accounts.bus.handle(
            CreateApiClient(Principal("acme", Role.MANAGER, "m"), "x", Role.ADMIN)
        )
    made: MadeClient = await accounts.bus.handle(CreateApiClient(ADMIN, "x", Role.STAFF))
    with pytest.raises(Exception, match="no such API client"):
        await accounts.bus.handle(
            RevokeApiClient(Principal("beta", Role.ADMIN, "b"), made.client.id)
        )
