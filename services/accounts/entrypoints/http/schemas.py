"""The accounts API's request and answer bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from services.accounts.domain.model import MAX_PASSWORD_CHARS

# Printable text only: control characters (NUL above all) are not stored, looked up or compared.
PRINTABLE = r"^[^\x00-\x1f\x7f]*$"
RoleName = Literal["admin", "manager", "staff"]


class SignInRequest(BaseModel):
    email: str = Field(max_length=320, pattern=PRINTABLE)
    password: str = Field(max_length=MAX_PASSWORD_CHARS)
    organization: str = Field(max_length=64, pattern=PRINTABLE, description="The organisation's id")


class RefreshRequest(BaseModel):
    refresh_token: str = Field(max_length=512, pattern=PRINTABLE)


class AddMemberRequest(BaseModel):
    email: str = Field(max_length=320, pattern=PRINTABLE)
    name: str = Field(default="", max_length=200, pattern=PRINTABLE)
    role: RoleName


class ChangeRoleRequest(BaseModel):
    role: RoleName


class AcceptInvitationRequest(BaseModel):
    token: str = Field(max_length=512, pattern=PRINTABLE)
    password: str = Field(max_length=MAX_PASSWORD_CHARS)


class MemberView(BaseModel):
    id: str
    email: str
    name: str
    role: RoleName | None
    status: Literal["active", "deactivated", "invited"]
    last_sign_in_at: datetime | None


class MemberList(BaseModel):
    items: list[MemberView]


class AddedMemberView(BaseModel):
    user: MemberView
    invitation: str | None = Field(
        description="For someone without a password yet: the token they set one with (POST "
        "/v1/invitations/accept), shown this once; pass it on"
    )
    invitation_expires_at: datetime | None


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


class CreateApiClientRequest(BaseModel):
    name: str = Field(max_length=200, pattern=PRINTABLE)
    role: RoleName


class ApiClientView(BaseModel):
    client_id: str
    name: str
    role: RoleName
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class ApiClientList(BaseModel):
    items: list[ApiClientView]


class MadeApiClientView(BaseModel):
    client: ApiClientView
    client_secret: str = Field(description="Shown this once; only its hash is kept")


class OAuthToken(BaseModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int
