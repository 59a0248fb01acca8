"""Acceptance 1 and 5 of the console: the demo admin signs in, creates two contacts in one form
(the one with a bad phone shows its error in place, the other is saved), finds one with the
query language (an unfinished query shows its error where it is), archives it, and finds it
under Archived, not Active. Every screen passes axe-core with no serious or critical violation,
and the strict Content-Security-Policy blocks nothing the application does."""

from __future__ import annotations

import asyncio

import httpx
from playwright.async_api import expect

from tests.console.conftest import ConsoleStack
from tests.support.console import Organization, Screen, sign_in
from tests.support.eventually import eventually


async def test_create_find_and_archive_contacts(
    console_stack: ConsoleStack, organization: Organization, screen: Screen,
) -> None:  # fmt: skip
    page = screen.page
    # A deep link without a session: sign in first, then the page asked for.
    await page.goto("/contacts/new")
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    await screen.accessible("sign-in")
    await screen.shot("sign in")
    await sign_in(page, organization.id, organization.admin_email, "not the password")
    await expect(page.get_by_role("alert")).to_contain_text("not right")
    await sign_in(page, organization.id, organization.admin_email,
                  organization.admin_password)  # fmt: skip
    await expect(page.get_by_role("heading", name="Add contacts")).to_be_visible()

    # Two contacts in one form; the second one's phone cannot be a phone number.
    await page.get_by_label("Name", exact=True).fill("Amina Yusuf")
    await page.get_by_label("Phone", exact=True).fill("+254 712 345 678")
    await page.get_by_role("button", name="+ Add more contact").click()
    second = page.get_by_role("group", name="Contact 2")
    await second.get_by_label("Name").fill("Baraka Otieno")
    await second.get_by_label("Phone", exact=True).fill("12ab")
    await screen.accessible("add-contacts")
    await page.get_by_role("button", name="Save 2 contacts").click()
    saved = page.get_by_role("status")
    await expect(saved).to_contain_text("Amina Yusuf")
    # The refused entry stays, with its values and its error in place.
    entry = page.get_by_role("group", name="Contact 1")
    await expect(entry.get_by_label("Name")).to_have_value("Baraka Otieno")
    await expect(entry.get_by_role("alert")).to_contain_text("phone", ignore_case=True)
    await expect(entry.get_by_label("Phone", exact=True)).to_have_attribute("aria-invalid", "true")
    await expect(page.get_by_role("group", name="Contact 2")).to_have_count(0)
    await screen.accessible("add-contacts-with-error")
    await screen.shot("one saved one refused")

    # The service holds exactly the one saved.
    bearer = {"Authorization": f"Bearer {await organization.admin_token()}"}
    async with httpx.AsyncClient(base_url=console_stack.url("contacts"), timeout=30) as api:
        listed = (await api.get("/v1/contacts", headers=bearer)).json()["items"]
    assert [(c["name"], c["phone"]) for c in listed] == [("Amina Yusuf", "+254712345678")]

    # Find her with the query language; an unfinished query shows where it goes wrong.
    await page.get_by_role("link", name="Contacts", exact=True).click()
    await expect(page.get_by_role("tab", name="Active (1)")).to_be_visible()
    await screen.accessible("contacts")
    search = page.get_by_label("Search")
    await search.fill("name ~")
    error = page.locator("#search-error")
    await expect(error).to_contain_text("at character 7")
    await expect(search).to_have_attribute("aria-invalid", "true")
    await screen.shot("query error at its position")
    await screen.accessible("contacts-query-error")
    await search.fill("name ~ ami")
    await expect(error).to_have_count(0)
    await expect(page).to_have_url("/contacts?query=name+%7E+ami")
    rows = page.get_by_role("row").filter(has=page.get_by_role("checkbox"))
    await expect(rows.filter(has_text="Amina Yusuf")).to_have_count(1)
    await screen.shot("found")

    # Archive her: gone from Active, listed under Archived.
    await page.get_by_role("checkbox", name="Select Amina Yusuf").check()
    await page.get_by_role("button", name="Archive").click()
    await expect(page.get_by_role("status")).to_contain_text("archive: 1 done")
    await expect(page.get_by_role("tab", name="Active (0)")).to_be_visible()
    await expect(page.get_by_role("link", name="Amina Yusuf")).to_have_count(0)
    await page.get_by_role("tab", name="Archived (1)").click()
    await expect(page.get_by_role("link", name="Amina Yusuf")).to_be_visible()
    await screen.accessible("contacts-archived")
    await screen.shot("archived")

    # Her page, then a reload: the session survives in its cookie, not in the page.
    await page.get_by_role("link", name="Amina Yusuf").click()
    await expect(page.get_by_role("heading", name="Amina Yusuf")).to_be_visible()
    await expect(page.locator("dl")).to_contain_text("archived")
    await page.reload()
    await expect(page.get_by_role("heading", name="Amina Yusuf")).to_be_visible()
    await screen.accessible("contact")
    await screen.shot("contact")


async def test_the_refresh_token_stays_out_of_the_page(
    console_stack: ConsoleStack, organization: Organization, screen: Screen,
) -> None:  # fmt: skip
    page = screen.page
    await page.goto("/")
    await sign_in(page, organization.id, organization.admin_email,
                  organization.admin_password)  # fmt: skip
    await expect(page.get_by_role("heading", name="Contacts")).to_be_visible()
    cookies = await screen.context.cookies()
    [refresh] = [c for c in cookies if c["name"] == "roster_refresh"]
    assert refresh["httpOnly"] and refresh["secure"] and refresh["sameSite"] == "Strict"
    assert refresh["path"] == "/console/session"
    assert await page.evaluate("document.cookie") == ""
    assert await page.evaluate("JSON.stringify(localStorage).includes('ey')") is False

    # Three tabs opening at once share the cookie: they take turns to refresh it (two refreshes
    # with one token would look stolen and end the session), and all stay signed in.
    tabs = [await screen.context.new_page() for _ in range(3)]
    await asyncio.gather(*(tab.goto("/collections") for tab in tabs))
    for tab in tabs:
        await expect(tab.get_by_role("heading", name="Collections")).to_be_visible()
        await tab.reload()
        await expect(tab.get_by_role("heading", name="Collections")).to_be_visible()
    await page.reload()
    await expect(page.get_by_role("heading", name="Contacts")).to_be_visible()
    for tab in tabs:
        await tab.close()

    # Signing out ends the session: a reload goes to sign-in, the old cookie is gone, and the
    # refresh token it held no longer works (a copy of it would be worthless).
    [held] = [c["value"] for c in await screen.context.cookies() if c["name"] == "roster_refresh"]
    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()

    async def held_cookies() -> list[str]:
        return [c["value"] for c in await screen.context.cookies() if c["name"] == "roster_refresh"]

    await eventually(held_cookies, lambda found: found == [], 10)
    await page.goto("/contacts")
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    async with httpx.AsyncClient(base_url=console_stack.url("accounts"), timeout=30) as http:
        reused = await http.post("/v1/sessions/refresh", json={"refresh_token": held})
    assert reused.status_code == 401


async def test_edit_a_contact_its_fields_collections_and_status(
    console_stack: ConsoleStack, organization: Organization, screen: Screen,
) -> None:  # fmt: skip
    bearer = {"Authorization": f"Bearer {await organization.admin_token()}"}
    async with httpx.AsyncClient(headers=bearer, timeout=30) as http:
        contacts, groups = console_stack.url("contacts"), console_stack.url("groups")
        for label, kind in (("Age", "number"), ("Enrolled", "boolean")):
            made = await http.post(f"{contacts}/v1/fields", json={"label": label, "type": kind})
            assert made.status_code == 201, made.text
        person = {"name": "Amina", "phone": "+254712000051"}
        amina = (await http.post(f"{contacts}/v1/contacts", json=person)).json()
        made = await http.post(f"{groups}/v1/groups", json={"name": "Mothers"})
        assert made.status_code == 201, made.text

    page = screen.page
    await page.goto(f"/contacts/{amina['id']}")
    await sign_in(page, organization.id, organization.admin_email,
                  organization.admin_password)  # fmt: skip
    await page.get_by_role("button", name="Edit").click()
    await page.get_by_label("Name", exact=True).fill("Amina Yusuf")
    await page.get_by_label("Age", exact=True).fill("31")
    await page.get_by_label("Enrolled", exact=True).select_option("true")
    await screen.accessible("contact-edit")
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_role("heading", name="Amina Yusuf")).to_be_visible()
    details = page.locator("dl")
    await expect(details).to_contain_text("age31")
    await expect(details).to_contain_text("enrolledYes")

    await page.get_by_label("Add to").select_option(label="Mothers")
    await page.get_by_role("button", name="Add to collection").click()
    await expect(page.get_by_role("status")).to_contain_text("Added to Mothers")
    await expect(page.get_by_role("button", name="Remove from Mothers")).to_be_visible(
        timeout=20_000
    )
    await screen.shot("edited and in a collection")
    await page.get_by_role("button", name="Archive").click()
    await expect(page.get_by_role("status")).to_contain_text("Now archived")
    await expect(details).to_contain_text("Statusarchived")
    async with httpx.AsyncClient(headers=bearer, timeout=30) as http:
        stored = (await http.get(f"{contacts}/v1/contacts/{amina['id']}")).json()
    values = {key: value["value"] for key, value in stored["fields"].items()}
    assert values == {"age": 31, "enrolled": True} and stored["status"] == "archived"
