"""A browser's session as the console keeps it: the access token goes to the page (held in
memory, never stored), the refresh token into a cookie only the console's session routes see.

Why a cookie and these attributes: HttpOnly keeps the refresh token from any script (an injected
one included); Secure keeps it off plain-text connections (browsers treat loopback as secure, so
local runs work); SameSite=Strict and the narrow path keep it off every cross-site request and
every request but the session routes'. Those routes also demand a header a cross-site form
cannot send (`REQUIRED_HEADER`) and, when the browser names one, their own origin."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

COOKIE_NAME = "roster_refresh"
COOKIE_PATH = "/console/session"
REQUIRED_HEADER = "X-Roster-Console"


@dataclass(frozen=True)
class SessionTokens:
    """What the accounts service answers a sign-in or a refresh with."""

    access_token: str
    expires_in: int
    refresh_token: str
    organization: str
    role: str


@dataclass(frozen=True)
class RefreshCookie:
    value: str
    max_age: int  # seconds: the session's lifetime, after which signing in again is needed

    @property
    def attributes(self) -> dict[str, object]:
        return {
            "key": COOKIE_NAME,
            "value": self.value,
            "max_age": self.max_age,
            "path": COOKIE_PATH,
            "httponly": True,
            "secure": True,
            "samesite": "strict",
        }


def same_origin(origin: str | None, host: str | None) -> bool:
    """A request to a session route comes from the console's own pages: its `Origin` (sent by
    every browser on a POST or DELETE from script) names this host. The scheme is not compared:
    behind a TLS-terminating ingress the console itself is reached over plain HTTP. No `Origin`
    at all is taken as same-origin (non-browser clients); the required header already shuts
    out forms."""
    if origin is None:
        return True
    if not host or origin == "null":
        return False
    return urlsplit(origin).netloc.lower() == host.lower()
