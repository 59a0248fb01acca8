"""One handler per session command. The accounts service decides; the console logs what a
browser did (never a credential or a token)."""

from __future__ import annotations

from services.console.domain.commands import RefreshSession, SignIn, SignOut
from services.console.domain.sessions import SessionTokens
from services.console.service_layer.ports import AccountsSessions
from shared.logging import get_logger

log = get_logger(__name__)


async def sign_in(command: SignIn, accounts: AccountsSessions) -> SessionTokens:
    tokens = await accounts.sign_in(
        command.email, command.password, command.organization, command.address
    )
    log.info("console_signed_in", org_id=tokens.organization, role=tokens.role)
    return tokens


async def refresh_session(command: RefreshSession, accounts: AccountsSessions) -> SessionTokens:
    return await accounts.refresh(command.refresh_token, command.address)


async def sign_out(command: SignOut, accounts: AccountsSessions) -> None:
    await accounts.sign_out(command.access_token)
    log.info("console_signed_out")
