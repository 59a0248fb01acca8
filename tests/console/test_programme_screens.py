"""The console's other screens, as a programme team uses them: fields (create, where used,
delete), flows (import a RapidPro export with the report of what cannot run here, start one for
a collection with its preview) and keywords; and the whole console at a phone's size and by
keyboard alone. Every screen passes axe-core with no serious or critical violation."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
from playwright.async_api import expect

from tests.console.conftest import ConsoleStack, OpenScreen
from tests.support.console import Organization, Screen, sign_in
from tests.support.flows import export_file, survey_flow

PHONE = {"width": 390, "height": 844}


def unsupported_flow(group: tuple[str, str]) -> dict[str, object]:
    flow = survey_flow(group)
    flow.update(uuid="9b0e6f4c-1d2a-4e5f-8a9b-0c1d2e3f4a5b", name="Needs a classifier")
    flow["nodes"][0]["actions"].append(  # type: ignore[index]
        {"uuid": "a-classify", "type": "call_classifier", "classifier": {"uuid": "c", "name": "c"}}
    )
    return flow


async def test_fields_flows_and_keywords(
    console_stack: ConsoleStack, organization: Organization, screen: Screen, tmp_path: Path,
) -> None:  # fmt: skip
    bearer = {"Authorization": f"Bearer {await organization.admin_token()}"}
    async with httpx.AsyncClient(headers=bearer, timeout=30) as http:
        amina = {"name": "Amina", "phone": "+254712000041", "opt_in": True}
        member = await http.post(f"{console_stack.url('contacts')}/v1/contacts", json=amina)
        assert member.status_code == 201, member.text
        group = (await http.post(f"{console_stack.url('groups')}/v1/groups",
                                 json={"name": "Survey panel"})).json()  # fmt: skip
        await http.post(f"{console_stack.url('groups')}/v1/groups/{group['id']}/members",
                        json={"contact_ids": [member.json()["id"]]})  # fmt: skip
        channel = await http.post(f"{console_stack.url('dispatcher')}/v1/channels", json={
            "type": "log", "name": "Log"})  # fmt: skip
        assert channel.status_code == 201, channel.text
    export = tmp_path / "export.json"
    panel = (group["id"], "Survey panel")  # the flow's group is the organisation's own
    export.write_text(json.dumps(export_file(survey_flow(panel), unsupported_flow(panel))))

    page = screen.page
    await page.goto("/fields")
    await sign_in(page, organization.id, organization.admin_email,
                  organization.admin_password)  # fmt: skip
    await page.get_by_role("form", name="New field").get_by_label("Label").fill("District")
    await page.get_by_role("button", name="Create field").click()
    await expect(page.get_by_role("status")).to_contain_text("District created (key district)")
    await page.get_by_role("button", name="Where used: District").click()
    await expect(page.get_by_role("cell", name="Nothing")).to_be_visible()
    await screen.accessible("fields")
    await screen.shot("fields")
    await page.get_by_role("button", name="Delete District").click()
    await page.get_by_role("dialog").get_by_role("button", name="Delete field").click()
    await expect(page.get_by_role("status")).to_contain_text("District deleted")
    await expect(page.get_by_role("cell", name="district")).to_have_count(0)

    # A RapidPro export: one flow runs here, the other is refused with its reasons.
    await page.get_by_role("link", name="Flows", exact=True).click()
    await page.get_by_label("Import a RapidPro or TextIt export (.json)").set_input_files(
        str(export)
    )
    report = page.locator(".import-report")
    await expect(report).to_contain_text("1 flow imported, 1 refused")
    await expect(report).to_contain_text("Needs a classifier")
    await expect(report.locator("li")).not_to_have_count(0)
    await screen.accessible("flows")
    await screen.shot("flows imported")
    await page.get_by_role("link", name="Two questions").click()
    await page.get_by_label("Survey panel (1)").check()
    await expect(page.locator(".summary")).to_contain_text("1 contacts will start")
    await screen.accessible("flow")
    await screen.shot("flow start preview")

    await page.goto("/flows/keywords")
    words = page.get_by_label("Opt-out words (the whole message, any case)")
    await expect(words).to_have_value(re.compile("STOP"))
    await words.fill(await words.input_value() + "\nswa: ACHA, SITISHA")
    await page.get_by_role("button", name="Save keywords").click()
    await expect(page.get_by_role("status")).to_have_text("Keywords saved")
    await page.reload()
    saved = page.get_by_label("Opt-out words (the whole message, any case)")
    await expect(saved).to_have_value(re.compile("swa: ACHA, SITISHA"))
    await screen.accessible("keywords")


async def test_a_phone_sized_screen_and_the_keyboard_alone(
    organization: Organization, open_screens: OpenScreen
) -> None:
    screen = await open_screens(viewport=PHONE, is_mobile=True, has_touch=True)
    page = screen.page
    await page.goto("/")
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    # Keyboard only: the form in order, Enter signs in.
    await page.keyboard.press("Tab")
    await expect(page.get_by_label("Organisation")).to_be_focused()
    await page.keyboard.type(organization.id)
    await page.keyboard.press("Tab")
    await page.keyboard.type(organization.admin_email)
    await page.keyboard.press("Tab")
    await page.keyboard.type(organization.admin_password)
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", name="Contacts")).to_be_visible()
    # The first stop is the way past the navigation.
    await page.keyboard.press("Tab")
    await expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page.locator("main")).to_be_focused()
    # The status tabs move with the arrow keys.
    await page.get_by_role("tab", name="Active (0)").focus()
    await page.keyboard.press("ArrowRight")
    await expect(page.get_by_role("tab", name="Archived (0)")).to_be_focused()
    await expect(page).to_have_url("/contacts?status=archived")

    for path in ("/contacts", "/contacts/new", "/collections", "/imports", "/broadcasts/new",
                 "/fields", "/flows"):  # fmt: skip
        await page.goto(path)
        await expect(page.locator("h1")).to_be_visible()
        await page.wait_for_load_state("networkidle")
        # Nothing wider than the phone: wide tables scroll inside their own box.
        overflow = await page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} is {overflow}px wider than the screen"
        await screen.accessible(f"phone{path.replace('/', '-')}")
        await screen.shot(f"phone {path}")
