"""The web console as its users meet it: headless Chromium from Debian's packages, driven by
Playwright, against the console and the services behind it as separate processes.

Every step a test takes can be kept as a screenshot (`test-artifacts/console/<test>/`), and
every screen is checked with axe-core (bundled from the console's npm lock: no download)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Page

from tests.support.process import REPO_ROOT, ROSTER

CHROMIUM = Path("/usr/bin/chromium")
WEB = REPO_ROOT / "services" / "console" / "web"
AXE = WEB / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = REPO_ROOT / "test-artifacts" / "console"
# As root in a container, without a sandbox; no background traffic (this network is closed, and
# refused connections slow every start).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
]
# axe-core's impacts the acceptance refuses.
REFUSED_IMPACTS = ("serious", "critical")


async def sign_in(page: Page, org: str, email: str, password: str) -> None:
    """The sign-in form, filled and sent as a person would."""
    await page.get_by_label("Organisation").fill(org)
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()


def roster(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(ROSTER), *args], env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@dataclass
class Organization:
    """An organisation of its own per test, with its admin (who signs in with a password)."""

    id: str
    admin_email: str
    admin_password: str
    accounts_url: str

    async def admin_token(self) -> str:
        async with httpx.AsyncClient(timeout=30) as http:
            answer = await http.post(
                f"{self.accounts_url}/v1/sessions",
                json={"email": self.admin_email, "password": self.admin_password,
                      "organization": self.id},
            )  # fmt: skip
            assert answer.status_code == 201, answer.text
            token: str = answer.json()["access_token"]
            return token

    async def add_staff(self, name: str, password: str) -> tuple[str, str]:
        """A staff member who has taken up their invitation: (user id, email)."""
        email = f"{name.lower()}.{uuid.uuid4().hex[:6]}@example.org"
        bearer = {"Authorization": f"Bearer {await self.admin_token()}"}
        async with httpx.AsyncClient(timeout=30) as http:
            added = await http.post(
                f"{self.accounts_url}/v1/users",
                json={"email": email, "name": name, "role": "staff"},
                headers=bearer,
            )
            assert added.status_code == 201, added.text
            accepted = await http.post(
                f"{self.accounts_url}/v1/invitations/accept",
                json={"token": added.json()["invitation"], "password": password},
            )
            assert accepted.status_code == 200, accepted.text
        return added.json()["user"]["id"], email


def new_organization(env: dict[str, str], accounts_url: str) -> Organization:
    org = f"org{uuid.uuid4().hex[:8]}"
    email, password = f"admin@{org}.example", "the demo admin's password"
    roster(env, "org", "create", "--id", org, "--name", f"Organisation {org}",
           "--admin-email", email, "--admin-name", "Demo admin",
           "--admin-password", password)  # fmt: skip
    return Organization(org, email, password, accounts_url)


@dataclass
class Screen:
    """One test's browser tab: its steps' screenshots, the console errors it met (a strict
    Content-Security-Policy reports what it blocked there) and its accessibility checks."""

    page: Page
    context: BrowserContext
    artifacts: Path
    steps: int = 0
    errors: list[str] = field(default_factory=list)

    async def shot(self, step: str) -> None:
        self.steps += 1
        name = re.sub(r"[^a-z0-9]+", "-", step.lower()).strip("-")
        await self.page.screenshot(
            path=str(self.artifacts / f"{self.steps:02d}-{name}.png"), full_page=True
        )

    async def accessible(self, screen: str) -> None:
        """axe-core on the page as it is now: no serious or critical violation."""
        violations: list[dict[str, Any]] = await self.page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        )
        refused = [v for v in violations if v.get("impact") in REFUSED_IMPACTS]
        report = [
            {"id": v["id"], "impact": v["impact"], "help": v["help"],
             "targets": [n["target"] for n in v["nodes"]][:5]}
            for v in refused
        ]  # fmt: skip
        (self.artifacts / f"axe-{screen}.json").write_text(json.dumps(violations, indent=1))
        assert not refused, f"{screen}: {json.dumps(report, indent=1)}"

    async def close(self) -> None:
        """Ends the tab; what went wrong in the page is printed (pytest shows it on failure)."""
        if self.errors:
            print("browser errors:", *self.errors, sep="\n  ")
        await self.context.close()

    def csp_violations(self) -> list[str]:
        return [e for e in self.errors if "Content Security Policy" in e]


async def open_screen(browser: Browser, base_url: str, test_name: str, **options: Any) -> Screen:
    artifacts = ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "-", test_name)
    shutil.rmtree(artifacts, ignore_errors=True)
    artifacts.mkdir(parents=True)
    context = await browser.new_context(base_url=base_url, **options)
    # Through the DevTools protocol, so the page's Content-Security-Policy does not apply to
    # the checker (it would refuse an inline script, rightly).
    await context.add_init_script(path=str(AXE))
    page = await context.new_page()
    page.set_default_timeout(15_000)
    screen = Screen(page, context, artifacts)

    def keep(message: ConsoleMessage) -> None:
        if message.type == "error":
            screen.errors.append(message.text)

    page.on("console", keep)
    page.on("pageerror", lambda error: screen.errors.append(f"uncaught: {error}"))
    return screen


def read_download(path: str | Path) -> str:
    """A downloaded file's text (read off the event loop's hot path by being small)."""
    return Path(path).read_text(encoding="utf-8-sig")
