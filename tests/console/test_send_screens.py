"""Acceptance 4 and 5 of the console: a template sent to a collection. The pre-send summary says
what the dispatcher's own preview says (who will receive it, who is excluded and why); after
"OK, send" the broadcast completes against a provider played by a real HTTP server (WhatsApp
Cloud API's protocol), and the report lists every recipient. Every screen passes axe-core."""

from __future__ import annotations

from typing import Any

import httpx
from playwright.async_api import expect

from tests.console.conftest import ConsoleStack
from tests.support.console import Organization, Screen, sign_in
from tests.support.eventually import eventually
from tests.support.fake_provider import running_provider

PEOPLE = [  # name, phone, language, opted in
    ("Amina Yusuf", "+254712000031", "eng", True),
    ("Baraka Otieno", "+254712000032", "swa", True),
    ("Claude Martin", "+254712000033", "fra", True),  # the template has no French
    ("Dora Wanjiku", "+254712000034", "eng", False),  # never opted in
]


async def test_send_a_template_to_a_collection(
    console_stack: ConsoleStack, organization: Organization, screen: Screen,
) -> None:  # fmt: skip
    bearer = {"Authorization": f"Bearer {await organization.admin_token()}"}
    async with (
        running_provider("unused-signing-key") as provider,
        httpx.AsyncClient(headers=bearer, timeout=30) as http,
    ):
        contacts, groups, dispatcher = (console_stack.url(s) for s in
                                        ("contacts", "groups", "dispatcher"))  # fmt: skip
        ids = []
        for name, phone, language, opted_in in PEOPLE:
            person = {"name": name, "phone": phone, "language": language, "opt_in": opted_in}
            made = await http.post(f"{contacts}/v1/contacts", json=person)
            assert made.status_code == 201, made.text
            ids.append(made.json()["id"])
        parents = (await http.post(f"{groups}/v1/groups", json={"name": "Parents"})).json()
        joined = await http.post(f"{groups}/v1/groups/{parents['id']}/members",
                                 json={"contact_ids": ids})  # fmt: skip
        assert joined.status_code in (200, 202), joined.text
        channel = await http.post(f"{dispatcher}/v1/channels", json={
            "type": "whatsapp_cloud", "name": "Kenya", "tps": 20,
            "config": {"phone_number_id": "1055", "base_url": provider.base_url},
            "secrets": {"access_token": provider.access_token, "app_secret": provider.app_secret,
                        "verify_token": "v"}})  # fmt: skip
        assert channel.status_code == 201, channel.text
        template = await http.post(f"{dispatcher}/v1/templates", json={
            "name": "term_dates", "category": "utility",
            "variants": {"eng": "Hello {{name}}, term starts on Monday",
                         "swa": "Habari {{name}}, muhula unaanza Jumatatu"},
            "parameters": {"name": "@contact.first_name"}})  # fmt: skip
        assert template.status_code == 201, template.text
        message = {"groups": [parents["id"]], "exclude_groups": [], "contact_ids": [],
                   "query": None, "channel_id": channel.json()["id"],
                   "template_id": template.json()["id"]}  # fmt: skip

        async def preview() -> dict[str, Any]:
            answer = await http.post(f"{dispatcher}/v1/broadcasts/preview", json=message)
            assert answer.status_code == 200, answer.text
            result: dict[str, Any] = answer.json()
            return result

        # The contacts and the collection reach the dispatcher over Kafka.
        expected = await eventually(preview, lambda p: p["audience"] == len(PEOPLE), 30)

        page = screen.page
        await page.goto(f"/collections/{parents['id']}")
        await sign_in(page, organization.id, organization.admin_email,
                      organization.admin_password)  # fmt: skip
        await page.get_by_role("link", name="Send a message").click()
        await expect(page.get_by_label("Parents (4)")).to_be_checked()
        await expect(page.get_by_label("Channel")).to_have_value(channel.json()["id"])
        await page.get_by_label("Template", exact=True).select_option(label="term_dates")
        variables = page.get_by_role("table", name="Template term_dates, by language")
        await expect(variables).to_contain_text("{{name}} = @contact.first_name")
        await expect(variables).to_contain_text("swa")
        summary = page.locator(".summary [role=status]")
        await expect(summary).to_contain_text(
            f"{expected['will_receive']} of {expected['audience']} contacts will receive it"
        )
        # One line per reason the dispatcher counts, with its count.
        lines = summary.locator("li")
        await expect(lines).to_have_count(sum(1 for n in expected["excluded"].values() if n))
        shown = sorted(int(text.split()[0]) for text in await lines.all_inner_texts())
        assert shown == sorted(n for n in expected["excluded"].values() if n)
        await expect(summary).to_contain_text("speak no language the template has")
        await expect(summary).to_contain_text("have not opted in")
        assert expected["will_receive"] == 2  # Amina and Baraka
        await screen.accessible("send")
        await screen.shot("pre-send summary")
        await page.get_by_role("button", name="OK, send").click()

        await expect(page.get_by_role("status")).to_have_text("Completed", timeout=60_000)
        report = page.get_by_role("table", name="Recipients")
        for contact_id in ids:
            await expect(report.get_by_role("link", name=contact_id)).to_be_visible()
        await expect(report.get_by_role("row")).to_have_count(len(PEOPLE) + 1)
        await expect(report.get_by_role("row", name="sent")).to_have_count(2)
        await screen.accessible("broadcast-report")
        await screen.shot("broadcast report")
        await page.get_by_role("link", name="Back to broadcasts").click()
        await expect(page.get_by_role("cell", name="Template term_dates")).to_be_visible()
        await screen.accessible("broadcasts")
    assert sorted(r.to for r in provider.accepted) == ["254712000031", "254712000032"]
