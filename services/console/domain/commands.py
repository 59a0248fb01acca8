"""What the console is asked to do with a browser's session. The accounts service decides every
one of them; the console only keeps the refresh token where the page's script cannot read it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SignIn:
    email: str
    password: str
    organization: str
    address: str  # the browser's address, counted by the accounts service's sign-in limits


@dataclass(frozen=True)
class RefreshSession:
    refresh_token: str
    address: str


@dataclass(frozen=True)
class SignOut:
    access_token: str
