"""The console's own refusals (everything else is the owning service's answer, passed on)."""

from __future__ import annotations

from shared.errors import DomainError


class NotSignedIn(DomainError):
    """A refresh without the session cookie: the browser has to sign in."""

    code = "not_signed_in"
    status = 401


class CrossSiteRequest(DomainError):
    """A session route called from another origin, or without the console's header."""

    code = "cross_site_request"
    status = 403


class UpstreamRefused(Exception):
    """The accounts service said no (wrong credentials, too many attempts, a revoked session):
    its status, body and headers go to the browser as they are."""

    def __init__(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers


class UpstreamUnavailable(Exception):
    """The owning service did not answer."""
