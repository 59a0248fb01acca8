"""Sign-in, refresh and sign-out. Signing in and refreshing are the only business routes served
without an access token (they are how one is got); their failures say only that the
credentials are not right."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from services.accounts.domain.commands import RefreshSession, SignIn, SignOut
from services.accounts.entrypoints.http.schemas import RefreshRequest, SignInRequest, TokensView
from services.accounts.service_layer.tokens import IssuedTokens
from shared.http.dependencies import Bus, Caller

router = APIRouter(prefix="/v1/sessions", tags=["sessions"])


def _view(tokens: IssuedTokens) -> TokensView:
    return TokensView(
        access_token=tokens.access_token,
        expires_in=tokens.expires_in,
        refresh_token=tokens.refresh_token,
        organization=tokens.org_id,
        role=tokens.role.value,
    )


@router.post("", status_code=201, response_model=TokensView)
async def sign_in(body: SignInRequest, request: Request, bus: Bus) -> TokensView:
    address = request.client.host if request.client else "unknown"
    tokens: IssuedTokens = await bus.handle(
        SignIn(body.email, body.password, body.organization, address)
    )
    return _view(tokens)


@router.post("/refresh", response_model=TokensView)
async def refresh(body: RefreshRequest, bus: Bus) -> TokensView:
    tokens: IssuedTokens = await bus.handle(RefreshSession(body.refresh_token))
    return _view(tokens)


@router.delete("/current", status_code=204)
async def sign_out(by: Caller, bus: Bus) -> Response:
    """Ends the session the access token belongs to: its refresh token no longer works; the
    access token itself lapses within its minutes."""
    if by.session_id is not None:
        await bus.handle(SignOut(by.session_id))
    return Response(status_code=204)
