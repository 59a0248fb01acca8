"""The console's settings, through the screens only: the organisation's admin changes its default
country (a refused time zone is marked where it was typed), adds an http channel whose secret is
never shown back (and is kept when the channel is edited without it), writes a template in two
languages (a variant that misses a placeholder is refused in place), adds a member and sees their
one-time invitation, changes their role (the last admin cannot be removed: the service's message
is shown), makes an API client whose secret is shown once, then revokes it. The invitation shown
works: the new member sets a password with it and signs in, a manager, on a phone; the services'
refusals (API clients, organisation settings) are shown as they say them. Every screen passes
axe-core; the Content-Security-Policy blocks nothing."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from playwright.async_api import expect

from tests.console.conftest import ConsoleStack, OpenScreen
from tests.support.console import Organization, Screen, sign_in

SIGNING_KEY = "the-gateway-signing-key-4d1f"
MEMBER_PASSWORD = "a long enough password for Tom"
PHONE = {"width": 390, "height": 844}


async def api_get(url: str, token: str) -> Any:
    async with httpx.AsyncClient(timeout=30) as http:
        answer = await http.get(url, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    return answer.json()


async def organisation_screen(screen: Screen, organization: Organization, contacts: str) -> None:
    page = screen.page
    await expect(page.get_by_role("heading", name="Organisation", exact=True)).to_be_visible()
    await expect(page.get_by_role("navigation", name="Settings sections")).to_be_visible()
    await expect(page.get_by_label("Time zone")).to_have_value("UTC")
    await screen.accessible("organization")
    # A time zone the contacts service does not know: marked where it was typed.
    await page.get_by_label("Time zone").fill("Mars/Olympus_Mons")
    await page.get_by_label("Default country").select_option("KE")
    await page.get_by_role("button", name="Save settings").click()
    zone = page.get_by_label("Time zone")
    await expect(zone).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#org-timezone-error")).to_contain_text("IANA time zone")
    await expect(zone).to_be_focused()
    await screen.accessible("organization-with-error")
    await screen.shot("organisation refused time zone")
    await zone.fill("Africa/Nairobi")
    await page.get_by_role("button", name="Save settings").click()
    await expect(page.get_by_role("status")).to_have_text("Organisation settings saved.")
    await expect(zone).not_to_have_attribute("aria-invalid", "true")
    await screen.shot("organisation saved")
    org = await api_get(f"{contacts}/v1/organization", await organization.admin_token())
    assert (org["default_country"], org["timezone"]) == ("KE", "Africa/Nairobi")


async def channels_screen(screen: Screen, dispatcher: str, token: str) -> None:
    page = screen.page
    await (
        page.get_by_role("navigation", name="Settings sections")
        .get_by_role("link", name="Channels")
        .click()
    )
    await expect(page.get_by_role("heading", name="Channels", exact=True)).to_be_visible()
    await expect(page.get_by_text("No channels yet.")).to_be_visible()
    await screen.accessible("channels-empty")
    await page.get_by_role("link", name="+ New channel").click()
    await page.get_by_label("Type").select_option("http")
    await page.get_by_label("Name").fill("SMS gateway")
    await page.get_by_label("Gateway URL").fill("sms.example.org/send")  # no scheme
    await page.get_by_label("Signing key").fill(SIGNING_KEY)
    await expect(page.get_by_label("Send only to contacts who opted in")).not_to_be_checked()
    await page.get_by_role("button", name="Save channel").click()
    url = page.get_by_label("Gateway URL")
    await expect(url).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#channel-config-url-error")).to_contain_text("http(s) URL")
    await screen.accessible("channel-form-with-error")
    await screen.shot("channel refused url")
    await url.fill("https://sms.example.org/send")
    await page.get_by_role("button", name="Save channel").click()

    await expect(page.get_by_role("status")).to_have_text("Channel “SMS gateway” saved.")
    row = page.get_by_role("row", name="SMS gateway")
    await expect(row).to_contain_text("HTTP gateway")
    await expect(row).to_contain_text("50 per second")
    await expect(row).to_contain_text("Signing key set")
    assert SIGNING_KEY not in await page.content()
    await screen.accessible("channels")
    await screen.shot("channels")

    # Edited without its secret: the box starts empty, and the secret is kept.
    await row.get_by_role("link", name="SMS gateway").click()
    await expect(page.get_by_role("heading", name="Edit channel SMS gateway")).to_be_visible()
    secret = page.get_by_label("Signing key")
    await expect(secret).to_have_value("")
    await expect(page.locator("#channel-secret-signing_key-hint")).to_contain_text(
        "leave empty to keep it"
    )
    await expect(page.get_by_label("Gateway URL")).to_have_value("https://sms.example.org/send")
    await expect(page.get_by_text("/inbound", exact=False)).to_be_visible()
    assert SIGNING_KEY not in await page.content()
    await screen.accessible("channel-form")
    await screen.shot("channel edit")
    await page.get_by_label("Messages per second").fill("20")
    await page.get_by_role("button", name="Save channel").click()
    await expect(page.get_by_role("row", name="SMS gateway")).to_contain_text("20 per second")
    (channel,) = (await api_get(f"{dispatcher}/v1/channels", token))["items"]
    assert channel["tps"] == 20
    assert channel["secrets"] == {"signing_key": "***"}
    assert channel["config"] == {"url": "https://sms.example.org/send"}


async def templates_screen(screen: Screen, dispatcher: str, token: str) -> None:
    page = screen.page
    await page.get_by_role("link", name="Templates").click()
    await expect(page.get_by_role("heading", name="Templates", exact=True)).to_be_visible()
    await page.get_by_role("link", name="+ New template").click()
    await page.get_by_label("Name").fill("term_dates")
    first = page.get_by_role("group", name="Variant 1")
    await first.get_by_label("Language").fill("eng")
    await first.get_by_label("Text").fill("Hello {{1}}, term starts on {{2}}")
    await page.get_by_role("button", name="+ Add a language").click()
    second = page.get_by_role("group", name="Variant 2")
    await expect(second.get_by_label("Language")).to_be_focused()
    await second.get_by_label("Language").fill("swa")
    await second.get_by_label("Text").fill("Habari {{1}}, muhula unaanza")  # no {{2}}
    # One value per placeholder the texts use.
    await page.get_by_label("Value of {{1}}").fill("@contact.first_name")
    await page.get_by_label("Fallback for {{1}} (optional)").fill("parent")
    await page.get_by_label("Value of {{2}}").fill("Monday")
    await page.get_by_role("button", name="Save template").click()
    await expect(second.get_by_label("Text")).to_have_attribute("aria-invalid", "true")
    await expect(second).to_contain_text("the swa variant uses 1 parameters")
    await expect(first.get_by_label("Text")).not_to_have_attribute("aria-invalid", "true")
    await screen.accessible("template-form-with-error")
    await screen.shot("template refused variant")
    await second.get_by_label("Text").fill("Habari {{1}}, muhula unaanza {{2}}")
    await page.get_by_role("button", name="Save template").click()

    await expect(page.get_by_role("status")).to_have_text("Template “term_dates” saved.")
    row = page.get_by_role("row", name="term_dates")
    await expect(row).to_contain_text("(eng)")
    await expect(row).to_contain_text("(swa)")
    await expect(row).to_contain_text("{{1}} {{2}}")
    await screen.accessible("templates")
    await screen.shot("templates")
    (template,) = (await api_get(f"{dispatcher}/v1/templates", token))["items"]
    assert template["variants"] == {
        "eng": "Hello {{1}}, term starts on {{2}}",
        "swa": "Habari {{1}}, muhula unaanza {{2}}",
    }
    assert template["parameters"] == {
        "1": {"value": "@contact.first_name", "fallback": "parent"},
        "2": "Monday",
    }
    # Its form shows what was saved.
    await row.get_by_role("link", name="term_dates").click()
    await expect(
        page.get_by_role("group", name="Variant 2").get_by_label("Language")
    ).to_have_value("swa")
    await expect(page.get_by_label("Fallback for {{1}} (optional)")).to_have_value("parent")
    await screen.accessible("template-form")


async def users_screen(screen: Screen, accounts: str, token: str, email: str) -> str:
    """Adds Tom as staff, makes him a manager; answers his (second) one-time invitation link."""
    page = screen.page
    await page.get_by_role("link", name="Users").click()
    await expect(page.get_by_role("heading", name="Users", exact=True)).to_be_visible()
    await expect(page.get_by_role("row", name="Demo admin")).to_contain_text("(you)")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Name", exact=True).fill("Tom Teacher")
    await page.get_by_label("Role", exact=True).select_option("staff")
    await page.get_by_role("button", name="Add member").click()

    invitation = page.get_by_role("region", name="Invitation for Tom Teacher")
    await expect(invitation).to_contain_text("Copy it now")
    await expect(invitation).to_contain_text("shown only this once")
    await expect(invitation).to_contain_text("/v1/invitations/accept")
    token_box = invitation.get_by_label("Invitation token")
    await expect(token_box).not_to_have_value("")
    invitation_token = await token_box.input_value()
    row = page.get_by_role("row", name="Tom Teacher")
    await expect(row).to_contain_text("invited")
    await screen.accessible("users-with-invitation")
    await screen.shot("invitation shown once")
    await invitation.get_by_role("button", name="Done, I have copied it").click()
    await expect(invitation).to_have_count(0)
    assert invitation_token not in await page.content()
    # A lost token is replaced by a new invitation, shown once too.
    await row.get_by_role("button", name="New invitation for Tom Teacher").click()
    await expect(token_box).not_to_have_value(invitation_token)
    invitation_token = await token_box.input_value()
    link = await invitation.get_by_label("Invitation link").input_value()
    assert link.endswith(f"/invitation#token={invitation_token}")
    await invitation.get_by_role("button", name="Done, I have copied it").click()
    await expect(invitation).to_have_count(0)

    await row.get_by_label("Role of Tom Teacher").select_option("manager")
    await row.get_by_role("button", name="Change role of Tom Teacher").click()
    await expect(page.get_by_role("status")).to_have_text("Tom Teacher is now manager.")
    members = (await api_get(f"{accounts}/v1/users", token))["items"]
    assert {m["email"]: m["role"] for m in members}[email] == "manager"

    # The organisation's only admin cannot be removed: the service says why.
    await page.get_by_role("button", name="Remove Demo admin").click()
    dialog = page.get_by_role("dialog", name="Remove Demo admin?")
    await expect(dialog).to_be_visible()
    await screen.accessible("users-remove-dialog")
    await dialog.get_by_role("button", name="Remove member").click()
    await expect(page.get_by_role("alert")).to_contain_text("at least one admin")
    await expect(page.get_by_role("row", name="Demo admin")).to_be_visible()
    await screen.accessible("users")
    await screen.shot("last admin kept")
    return link


async def clients_screen(screen: Screen, accounts: str) -> None:
    page = screen.page
    await page.get_by_role("link", name="API clients").click()
    await expect(page.get_by_role("heading", name="API clients", exact=True)).to_be_visible()
    await page.get_by_label("Name").fill("Timetable sync")
    await page.get_by_label("Role").select_option("manager")
    await page.get_by_role("button", name="Create client").click()
    made = page.get_by_role("region", name="Credentials of Timetable sync")
    await expect(made).to_contain_text("Copy it now")
    client_id = await made.get_by_label("Client ID").input_value()
    secret = await made.get_by_label("Client secret").input_value()
    assert client_id and secret
    row = page.get_by_role("row", name="Timetable sync")
    await expect(row).to_contain_text(client_id)
    await expect(row).to_contain_text("active")
    await screen.accessible("clients-with-secret")
    await screen.shot("client secret shown once")
    credentials = {"grant_type": "client_credentials", "client_id": client_id,
                   "client_secret": secret}  # fmt: skip
    async with httpx.AsyncClient(base_url=accounts, timeout=30) as http:
        issued = await http.post("/v1/oauth/token", data=credentials)
        assert issued.status_code == 200, issued.text
        await made.get_by_role("button", name="Done, I have copied it").click()
        await expect(made).to_have_count(0)
        assert secret not in await page.content()

        await row.get_by_role("button", name="Revoke Timetable sync").click()
        await page.get_by_role("dialog").get_by_role("button", name="Revoke client").click()
        await expect(page.get_by_role("status")).to_contain_text("Timetable sync was revoked")
        await expect(row).to_contain_text("revoked")
        await expect(row.get_by_role("button")).to_have_count(0)
        refused = await http.post("/v1/oauth/token", data=credentials)
        assert refused.status_code == 401, refused.text
    await screen.accessible("clients")
    await screen.shot("client revoked")


async def manager_sees_refusals(screen: Screen, organization: Organization, email: str) -> None:
    page = screen.page
    await page.goto("/settings/clients")
    await sign_in(page, organization.id, email, MEMBER_PASSWORD)
    await expect(page.get_by_role("heading", name="API clients")).to_be_visible()
    await expect(page.get_by_role("alert")).to_contain_text("cannot list API clients")
    await expect(page.get_by_role("button", name="Create client")).to_have_count(0)
    await screen.accessible("clients-refused")
    await screen.shot("manager refused api clients")
    # Organisation settings: readable, not changeable by a manager.
    await page.get_by_role("link", name="Organisation").click()
    await expect(page.get_by_label("Default country")).to_have_value("KE")
    await page.get_by_label("Default country").select_option("UG")
    await page.get_by_role("button", name="Save settings").click()
    await expect(page.get_by_role("alert")).to_contain_text("(forbidden)")
    await screen.accessible("organization-refused")
    await screen.shot("manager refused organisation change")


async def test_settings_screens(
    console_stack: ConsoleStack, organization: Organization, screen: Screen,
    open_screens: OpenScreen,
) -> None:  # fmt: skip
    contacts, dispatcher, accounts = (console_stack.url(s) for s in
                                      ("contacts", "dispatcher", "accounts"))  # fmt: skip
    token = await organization.admin_token()
    email = f"tom.{uuid.uuid4().hex[:6]}@example.org"
    page = screen.page
    await page.goto("/settings")
    await sign_in(page, organization.id, organization.admin_email,
                  organization.admin_password)  # fmt: skip
    await organisation_screen(screen, organization, contacts)
    await channels_screen(screen, dispatcher, token)
    await templates_screen(screen, dispatcher, token)
    invitation = await users_screen(screen, accounts, token, email)
    await clients_screen(screen, accounts)

    # The invitation shown was real: Tom opens the link, sets his password, signs in, a manager.
    manager = await open_screens("-manager", viewport=PHONE, is_mobile=True, has_touch=True)
    await manager.page.goto(invitation)
    await manager.page.get_by_label("New password").fill(MEMBER_PASSWORD)
    await manager.page.get_by_label("The same password again").fill(MEMBER_PASSWORD)
    await manager.accessible("invitation")
    await manager.page.get_by_role("button", name="Set password").click()
    await expect(manager.page.get_by_role("status")).to_contain_text("Your password is set")
    assert "token" not in manager.page.url  # spent, and gone from the address
    await manager_sees_refusals(manager, organization, email)
