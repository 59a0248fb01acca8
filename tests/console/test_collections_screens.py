"""Acceptance 2 and 5 of the console: an admin creates a collection with a staff user (picked from
the organisation's staff) and puts a contact in it from the contacts list; signed in, that
staff user sees only that collection and its members, and another contact's address shows
"not found". Every screen passes axe-core with no serious or critical violation."""

from __future__ import annotations

import httpx
from playwright.async_api import expect

from tests.console.conftest import ConsoleStack
from tests.support.console import Organization, Screen, sign_in

KIMS_PASSWORD = "kim's own password"
SLOW = 20_000  # ms: what crosses services (staff, memberships) arrives by events


async def test_a_staff_user_sees_only_their_collection(
    console_stack: ConsoleStack, organization: Organization, screen: Screen,
) -> None:  # fmt: skip
    kim, kims_email = await organization.add_staff("Kim", KIMS_PASSWORD)
    bearer = {"Authorization": f"Bearer {await organization.admin_token()}"}
    async with httpx.AsyncClient(timeout=30) as http:
        made = {}
        people = (("Amina Yusuf", "+254712000001"), ("Baraka Otieno", "+254712000002"),
                  ("Chidi Okafor", "+254712000003"))  # fmt: skip
        for name, phone in people:
            answer = await http.post(
                f"{console_stack.url('contacts')}/v1/contacts",
                json={"name": name, "phone": phone},
                headers=bearer,
            )
            assert answer.status_code == 201, answer.text
            made[name] = answer.json()["id"]
        other = await http.post(f"{console_stack.url('groups')}/v1/groups",
                                json={"name": "Mombasa office"}, headers=bearer)  # fmt: skip
        assert other.status_code == 201, other.text

    page = screen.page
    await page.goto("/collections")
    await sign_in(page, organization.id, organization.admin_email,
                  organization.admin_password)  # fmt: skip
    await expect(page.get_by_role("link", name="Mombasa office")).to_be_visible()
    await screen.accessible("collections")
    await page.get_by_role("link", name="+ New collection").click()
    await page.get_by_label("Title").fill("Nairobi clinic")
    await page.get_by_label("Description").fill("Mothers registered at the Nairobi clinic")
    # A smart query is checked as it is typed; this one is left empty (a manual collection).
    query = page.get_by_label("Smart query (leave empty for a manual collection)")
    await query.fill("age >")
    await expect(page.locator("#collection-query-error")).to_be_visible()
    await expect(page.get_by_role("button", name="Save collection")).to_be_disabled()
    await query.fill("")
    await page.get_by_role("checkbox", name=f"Kim ({kims_email})").check()
    await screen.accessible("collection-form")
    await screen.shot("new collection with staff")
    await page.get_by_role("button", name="Save collection").click()
    await expect(page.get_by_role("heading", name="Nairobi clinic")).to_be_visible()
    await expect(page.get_by_text("0 members")).to_be_visible()

    # Amina joins it from the contacts list.
    await page.get_by_role("link", name="Contacts", exact=True).click()
    await page.get_by_role("checkbox", name="Select Amina Yusuf").check()
    await page.get_by_label("Collection", exact=True).last.select_option(label="Nairobi clinic")
    await page.get_by_role("button", name="Add to collection").click()
    await expect(page.get_by_role("status")).to_contain_text("1 added to Nairobi clinic")
    await page.get_by_role("link", name="Collections", exact=True).click()
    await page.get_by_role("link", name="Nairobi clinic").click()
    await expect(page.get_by_role("link", name="Amina Yusuf")).to_be_visible(timeout=SLOW)
    await screen.accessible("collection")
    # Chidi joins from the collection's own page, by a query.
    await page.get_by_label("Add the contacts matching").fill("name ~ chidi")
    await (
        page.get_by_role("form", name="Add contacts")
        .get_by_role("button", name="Add to collection")
        .click()
    )
    await expect(page.get_by_role("status")).to_contain_text(
        "1 of the 1 contacts matching were added", timeout=SLOW
    )
    await expect(page.get_by_role("link", name="Chidi Okafor")).to_be_visible(timeout=SLOW)
    await screen.shot("collection with its members")
    await page.get_by_role("button", name="Sign out").click()

    # Kim sees her collection and its member only.
    await sign_in(page, organization.id, kims_email, KIMS_PASSWORD)
    await expect(page.get_by_role("heading", name="Contacts")).to_be_visible()
    await expect(page.locator(".who")).to_contain_text("staff")
    await expect(page.get_by_role("link", name="Amina Yusuf")).to_be_visible(timeout=SLOW)
    await expect(page.get_by_role("link", name="Chidi Okafor")).to_be_visible(timeout=SLOW)
    await expect(page.get_by_role("link", name="Baraka Otieno")).to_have_count(0)
    await expect(page.get_by_role("link", name="+ Add contacts")).to_have_count(0)
    await screen.accessible("contacts-as-staff")
    await screen.shot("contacts as staff")
    await page.get_by_role("link", name="Collections", exact=True).click()
    await expect(page.get_by_role("link", name="Nairobi clinic")).to_be_visible()
    await expect(page.get_by_role("link", name="Mombasa office")).to_have_count(0)
    await screen.accessible("collections-as-staff")
    await screen.shot("collections as staff")
    # Addresses of what is not hers: not found, as if it did not exist.
    await page.goto(f"/contacts/{made['Baraka Otieno']}")
    await expect(page.get_by_role("heading", name="Contact not found")).to_be_visible()
    await screen.accessible("contact-not-found")
    await screen.shot("another contact not found")
    await page.goto(f"/collections/{other.json()['id']}")
    await expect(page.get_by_role("heading", name="Collection not found")).to_be_visible()
    await page.goto(f"/contacts/{made['Amina Yusuf']}")
    await expect(page.get_by_role("heading", name="Amina Yusuf")).to_be_visible()
    await expect(page.get_by_role("button", name="Edit")).to_have_count(0)
    assert kim
