"""The console's session routes over a fake accounts service: the refresh token lives only in an
HttpOnly, Secure, SameSite=Strict cookie scoped to the session routes; those routes answer only
the console's own pages (its header, its origin); a refused refresh forgets the cookie."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from services.console.bootstrap import build_app, build_bus
from services.console.domain.commands import RefreshSession, SignIn, SignOut
from services.console.domain.errors import UpstreamRefused
from services.console.domain.sessions import COOKIE_NAME, REQUIRED_HEADER, same_origin
from shared.settings import ServiceSettings
from tests.fakes.console import PASSWORD, FakeAccounts

ORIGIN = "https://console.test"
OURS = {REQUIRED_HEADER: "1", "Origin": ORIGIN}
CREDENTIALS = {"email": "a@example.org", "password": PASSWORD, "organization": "acme"}


@pytest.fixture
def accounts() -> FakeAccounts:
    return FakeAccounts()


@pytest.fixture
def assets(tmp_path: Path) -> Path:
    """The built application in a folder of its own, with a file beside it that no request may
    reach."""
    (tmp_path / "secret.txt").write_text("not to be served")
    tmp_path = tmp_path / "dist"
    tmp_path.mkdir()
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><title>Roster</title>")
    (tmp_path / "assets" / "app-1234.js").write_text("console.log('app')")
    (tmp_path / "favicon.svg").write_text("<svg/>")
    return tmp_path


@pytest.fixture
async def console(accounts: FakeAccounts, assets: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = build_app(ServiceSettings(console_assets_dir=str(assets)))
    app.state.bus = build_bus(accounts)  # the lifespan's HTTP clients are not needed here
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 5000))
    async with httpx.AsyncClient(transport=transport, base_url=ORIGIN) as client:
        yield client


def refresh_cookie(answer: httpx.Response) -> str:
    [header] = [v for k, v in answer.headers.multi_items() if k == "set-cookie"]
    return header


async def test_signing_in_puts_the_refresh_token_in_a_cookie_the_page_cannot_read(
    console: httpx.AsyncClient, accounts: FakeAccounts
) -> None:
    answer = await console.post("/console/session", json=CREDENTIALS, headers=OURS)
    assert answer.status_code == 201
    body = answer.json()
    assert body == {"access_token": "access-1", "expires_in": 900, "organization": "acme",
                    "role": "admin"}  # fmt: skip
    assert "refresh" not in answer.text
    cookie = refresh_cookie(answer)
    assert cookie.startswith(f"{COOKIE_NAME}=refresh-1;")
    for attribute in ("HttpOnly", "Secure", "SameSite=strict", "Path=/console/session"):
        assert attribute.lower() in cookie.lower(), attribute
    assert "Max-Age=2592000" in cookie  # the session's 30 days
    assert answer.headers["cache-control"] == "no-store"
    assert accounts.addresses == ["203.0.113.9"]  # counted against the browser's address


async def test_a_refused_sign_in_is_the_accounts_services_answer_and_sets_nothing(
    console: httpx.AsyncClient,
) -> None:
    answer = await console.post(
        "/console/session", json={**CREDENTIALS, "password": "wrong"}, headers=OURS
    )
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "invalid_credentials"
    assert "set-cookie" not in answer.headers


@pytest.mark.parametrize(
    "headers",
    [{}, {"Origin": ORIGIN}, {REQUIRED_HEADER: "1", "Origin": "https://evil.example"},
     {REQUIRED_HEADER: "1", "Origin": "null"}],
    ids=["no header", "no console header", "another origin", "opaque origin"],
)  # fmt: skip
async def test_session_routes_answer_only_the_consoles_own_pages(
    console: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    for method, path in (("POST", "/console/session"), ("POST", "/console/session/refresh"),
                         ("DELETE", "/console/session")):  # fmt: skip
        answer = await console.request(method, path, json=CREDENTIALS, headers=headers)
        assert answer.status_code == 403, (method, path)
        assert answer.json()["error"]["code"] == "cross_site_request"


async def test_refresh_rotates_the_cookie_and_a_refused_one_is_forgotten(
    console: httpx.AsyncClient, accounts: FakeAccounts
) -> None:
    missing = await console.post("/console/session/refresh", headers=OURS)
    assert (missing.status_code, missing.json()["error"]["code"]) == (401, "not_signed_in")

    await console.post("/console/session", json=CREDENTIALS, headers=OURS)
    refreshed = await console.post("/console/session/refresh", headers=OURS)
    assert refreshed.status_code == 200 and refreshed.json()["access_token"] == "access-2"
    assert refresh_cookie(refreshed).startswith(f"{COOKIE_NAME}=refresh-2;")
    assert console.cookies.get(COOKIE_NAME) == "refresh-2"

    # The retired token again (a stolen copy, say): refused, and the browser forgets it.
    console.cookies.set(COOKIE_NAME, "refresh-1", domain="console.test", path="/console/session")
    reused = await console.post("/console/session/refresh", headers=OURS)
    assert reused.status_code == 401
    assert reused.headers["www-authenticate"] == "Bearer"
    assert 'roster_refresh=""' in refresh_cookie(reused) or "Max-Age=0" in refresh_cookie(reused)


async def test_signing_out_ends_the_session_and_forgets_the_cookie(
    console: httpx.AsyncClient, accounts: FakeAccounts
) -> None:
    await console.post("/console/session", json=CREDENTIALS, headers=OURS)
    # The page's access token lapsed while it slept: the session is ended through the cookie.
    answer = await console.delete(
        "/console/session", headers={**OURS, "Authorization": "Bearer lapsed"}
    )
    assert answer.status_code == 204
    assert accounts.signed_out == ["access-2"]  # a live token for the cookie's own session
    assert "refresh-1" not in accounts.live_refresh
    assert "Max-Age=0" in refresh_cookie(answer)
    # No cookie left: the page's access token ends its session.
    console.cookies.clear()
    answer = await console.delete(
        "/console/session", headers={**OURS, "Authorization": "Bearer access-9"}
    )
    assert answer.status_code == 204 and accounts.signed_out[-1] == "access-9"


async def test_the_accounts_service_down_is_a_503_and_signing_out_still_forgets_the_cookie(
    console: httpx.AsyncClient, accounts: FakeAccounts
) -> None:
    await console.post("/console/session", json=CREDENTIALS, headers=OURS)
    accounts.down = True
    refused = await console.post("/console/session", json=CREDENTIALS, headers=OURS)
    assert refused.status_code == 503
    assert refused.json()["error"]["code"] == "upstream_unavailable"
    assert refused.headers["retry-after"] == "5"
    answer = await console.delete("/console/session", headers=OURS)
    assert answer.status_code == 503 and "Max-Age=0" in refresh_cookie(answer)


async def test_pages_and_assets_under_a_strict_content_security_policy(
    console: httpx.AsyncClient,
) -> None:
    page = await console.get("/contacts/c-1")
    assert page.status_code == 200 and "<title>Roster</title>" in page.text
    assert page.headers["cache-control"] == "no-store"
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy
    assert "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
    assert page.headers["x-content-type-options"] == "nosniff"
    asset = await console.get("/assets/app-1234.js")
    assert asset.status_code == 200 and "immutable" in asset.headers["cache-control"]
    assert (await console.get("/favicon.svg")).status_code == 200
    for missing in (
        "/assets/gone-1.js",
        "/robots.txt",
        "/%2e%2e/secret.txt",
        "/assets/%2e%2e/%2e%2e/secret.txt",
    ):
        answer = await console.get(missing)
        assert answer.status_code == 404, missing
        assert answer.json()["error"]["code"] == "not_found"


def test_same_origin_rule() -> None:
    assert same_origin(None, "console.test")
    assert same_origin("https://console.test", "console.test")
    assert same_origin("https://Console.Test", "console.test")
    assert same_origin("http://console.test:8000", "console.test:8000")
    assert not same_origin("https://console.test:8443", "console.test")
    assert not same_origin("https://console.test.evil", "console.test")
    assert not same_origin("null", "console.test")
    assert not same_origin("https://console.test", None)


async def test_the_bus_hands_each_session_command_to_the_accounts_service(
    accounts: FakeAccounts,
) -> None:
    bus = build_bus(accounts)
    signed_in = await bus.handle(SignIn("a@example.org", PASSWORD, "acme", "198.51.100.1"))
    refreshed = await bus.handle(RefreshSession(signed_in.refresh_token, "198.51.100.1"))
    assert refreshed.refresh_token != signed_in.refresh_token
    with pytest.raises(UpstreamRefused):
        await bus.handle(RefreshSession(signed_in.refresh_token, "198.51.100.1"))
    await bus.handle(SignOut(refreshed.access_token))
    assert accounts.signed_out == [refreshed.access_token]


async def test_probes_and_the_scrape_are_not_served_through_a_proxy(
    console: httpx.AsyncClient,
) -> None:
    """The ingress sends every path outside /v1 to the console: these stay the platform's."""
    for path in ("/metrics", "/healthz", "/readyz", "/openapi.json"):
        proxied = await console.get(path, headers={"X-Forwarded-For": "198.51.100.7"})
        assert proxied.status_code == 404, path
        assert proxied.json()["error"]["code"] == "not_found"
    assert (await console.get("/metrics")).status_code == 200  # Prometheus, straight to the pod
    assert (await console.get("/healthz")).status_code == 200
