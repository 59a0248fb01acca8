"""The browser's session routes. Signing in and refreshing are served without an access token
(they are how the page gets one); the refresh token never reaches the page's script."""

from __future__ import annotations

from contextlib import suppress

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from services.console.domain.commands import RefreshSession, SignIn, SignOut
from services.console.domain.errors import (
    CrossSiteRequest,
    NotSignedIn,
    UpstreamRefused,
    UpstreamUnavailable,
)
from services.console.domain.sessions import (
    COOKIE_NAME,
    COOKIE_PATH,
    REQUIRED_HEADER,
    RefreshCookie,
    SessionTokens,
    same_origin,
)
from shared.http.dependencies import Bus

router = APIRouter(prefix="/console/session", tags=["console"], include_in_schema=False)


class SignInBody(BaseModel):
    email: str = Field(max_length=320)
    password: str = Field(max_length=1024)
    organization: str = Field(max_length=64)


class SessionView(BaseModel):
    """What the page keeps in memory: the access token and who it is for."""

    access_token: str
    expires_in: int
    organization: str
    role: str


def _from_the_console(request: Request) -> None:
    if request.headers.get(REQUIRED_HEADER) != "1" or not same_origin(
        request.headers.get("origin"), request.headers.get("host")
    ):
        raise CrossSiteRequest("Session routes answer the console's own pages only")


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _answer(tokens: SessionTokens, max_age: int, status: int) -> JSONResponse:
    view = SessionView(
        access_token=tokens.access_token,
        expires_in=tokens.expires_in,
        organization=tokens.organization,
        role=tokens.role,
    )
    response = JSONResponse(view.model_dump(), status_code=status)
    response.headers["Cache-Control"] = "no-store"
    response.set_cookie(**RefreshCookie(tokens.refresh_token, max_age).attributes)  # type: ignore[arg-type]
    return response


def _refused(refusal: UpstreamRefused, *, forget: bool) -> Response:
    response = Response(
        refusal.body, refusal.status, headers=refusal.headers, media_type="application/json"
    )
    if forget:
        response.delete_cookie(COOKIE_NAME, path=COOKIE_PATH, secure=True, httponly=True,
                               samesite="strict")  # fmt: skip
    return response


@router.post("", status_code=201, response_model=SessionView)
async def sign_in(body: SignInBody, request: Request, bus: Bus) -> Response:
    _from_the_console(request)
    command = SignIn(body.email, body.password, body.organization, _address(request))
    try:
        tokens: SessionTokens = await bus.handle(command)
    except UpstreamRefused as refusal:
        return _refused(refusal, forget=False)
    return _answer(tokens, request.app.state.session_max_age, 201)


@router.post("/refresh", response_model=SessionView)
async def refresh(request: Request, bus: Bus) -> Response:
    _from_the_console(request)
    cookie = request.cookies.get(COOKIE_NAME)
    if not cookie:
        raise NotSignedIn("Sign in first")
    try:
        tokens: SessionTokens = await bus.handle(RefreshSession(cookie, _address(request)))
    except UpstreamRefused as refusal:
        # A refresh token the accounts service refuses is of no further use: forget it.
        return _refused(refusal, forget=refusal.status in (400, 401, 403, 422))
    return _answer(tokens, request.app.state.session_max_age, 200)


@router.delete("", status_code=204)
async def sign_out(request: Request, bus: Bus) -> Response:
    """Ends the session at the accounts service and forgets the cookie, whatever happens. The
    session is ended through the cookie's own refresh token (a live access token for it, then
    sign-out), so a page whose access token lapsed while it slept still ends it; without the
    cookie, the page's access token does."""
    _from_the_console(request)
    authorization = request.headers.get("authorization", "")
    access = authorization[7:] if authorization.lower().startswith("bearer ") else None
    cookie = request.cookies.get(COOKIE_NAME)
    status = 204
    try:
        if cookie:
            with suppress(UpstreamRefused):  # already ended, or reused: nothing left to end
                tokens: SessionTokens = await bus.handle(RefreshSession(cookie, _address(request)))
                access = tokens.access_token
        if access:
            with suppress(UpstreamRefused):  # a lapsed token: its session is ended above
                await bus.handle(SignOut(access))
    except UpstreamUnavailable:
        status = 503  # the cookie still goes; the session lapses at the accounts service
    response = Response(status_code=status)
    response.delete_cookie(COOKIE_NAME, path=COOKIE_PATH, secure=True, httponly=True,
                           samesite="strict")  # fmt: skip
    return response
