"""The accounts API's request and answer bodies."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from services.accounts.domain.model import MAX_PASSWORD_CHARS


class SignInRequest(BaseModel):
    email: str = Field(max_length=320)
    password: str = Field(max_length=MAX_PASSWORD_CHARS)
    organization: str = Field(max_length=64, description="The organisation's id")


class RefreshRequest(BaseModel):
    refresh_token: str = Field(max_length=512)


class TokensView(BaseModel):
    access_token: str = Field(description="An EdDSA JWT for every service's API")
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int = Field(description="Seconds the access token is valid for")
    refresh_token: str = Field(
        description="Trades once for new tokens (POST /v1/sessions/refresh); used twice, it "
        "ends the session"
    )
    organization: str
    role: str


class KeySet(BaseModel):
    keys: list[dict[str, str]]
