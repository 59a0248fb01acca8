"""Templates and what a message says: templates kept whole (every variant uses exactly the
parameters defined), each contact told in their language or the organisation's, with their own
values (WhatsApp's rules on parameter text applied), or excluded with the reason a preview
counted; free text with the same expressions; and broadcasts that keep the template they were
made with."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from services.dispatcher.domain.audience import Audience
from services.dispatcher.domain.broadcasts import Broadcast
from services.dispatcher.domain.commands import (
    CreateBroadcast,
    CreateTemplate,
    DeleteTemplate,
    ResolveBroadcast,
    SendNext,
    UpdateTemplate,
)
from services.dispatcher.domain.errors import (
    InvalidBroadcast,
    InvalidExpression,
    InvalidTemplate,
    TemplateNotFound,
    TemplateParameterMismatch,
    UnknownTemplate,
    VersionConflict,
)
from services.dispatcher.domain.templates import parameter_text
from services.dispatcher.service_layer.queries import preview
from shared.contracts.contacts import OptInRecord
from shared.contracts.messages import MessageSent
from shared.errors import DomainError
from tests.fakes.dispatcher import (
    ADMIN,
    OTHER_ORG_ADMIN,
    FakeDispatcher,
    channel,
    created,
    deliver,
    group,
    template,
)
from tests.support.contact_events import OPTED_IN, contact_updated
from tests.support.events import group_updated, organization_updated

ORG = ADMIN.org_id
CLASS = {"text": "Maths 2", "type": "text", "value": "Maths 2"}


async def make(service: FakeDispatcher, **given: Any) -> Any:
    values = {
        "name": "class_reminder",
        "category": "utility",
        "variants": {"eng": "Hi {{1}}"},
        "parameters": {"1": "@contact.first_name"},
    }
    return await service.bus.handle(CreateTemplate(by=ADMIN, **(values | given)))


async def send_everything(service: FakeDispatcher, broadcast_id: str) -> None:
    assert await service.bus.handle(ResolveBroadcast(ORG, broadcast_id))
    for _ in range(20):
        if (await service.bus.handle(SendNext(ORG, broadcast_id))).done:
            return
    raise AssertionError("the broadcast did not finish")


async def broadcast(
    service: FakeDispatcher, channel_id: str, *, text: str | None = None,
    template_id: str | None = None, **audience: Any,
) -> Broadcast:  # fmt: skip
    named = Audience(**{k: tuple(v) for k, v in audience.items()})
    made: Broadcast = await service.bus.handle(
        CreateBroadcast(by=ADMIN, audience=named, channel_id=channel_id, text=text,
                        template_id=template_id)
    )  # fmt: skip
    return made


# Templates kept whole


async def test_a_template_is_stored_with_its_languages_read_as_iso_639_3(
    service: FakeDispatcher,
) -> None:
    made = await make(
        service,
        variants={"en": "Hello {{1}}, class {{2}}", "Kiswahili": "Habari {{1}}, darasa {{2}}"},
        parameters={"2": {"value": "@contact.fields.class", "fallback": "today"},
                    "1": "@contact.name"},
    )  # fmt: skip
    stored = await service.templates.get(ORG, made.id)
    assert stored is not None
    assert set(stored.variants) == {"eng", "swa"}
    assert [p.name for p in stored.parameters] == ["1", "2"]  # in order, whatever was given
    assert stored.parameters[1].fallback == "today"
    assert await service.templates.get(OTHER_ORG_ADMIN.org_id, made.id) is None


@pytest.mark.parametrize(
    ("given", "error"),
    [
        ({"variants": {"eng": "Hi {{1}} and {{2}}"}}, TemplateParameterMismatch),
        ({"variants": {"eng": "Hi there"}}, TemplateParameterMismatch),
        ({"variants": {"eng": "Hi {{1}}", "fra": "Salut {{name}}"}}, TemplateParameterMismatch),
        ({"variants": {"eng": "Hi {{1}} {{name}}"},
          "parameters": {"1": "@contact.name", "name": "x"}}, InvalidTemplate),
        ({"variants": {"eng": "Hi {{1}} {{3}}"},
          "parameters": {"1": "@contact.name", "3": "x"}}, InvalidTemplate),
        ({"parameters": {"1": "@contact.surname"}}, InvalidExpression),
        ({"parameters": {"1": "@contact.fields.Bad-Key"}}, InvalidExpression),
        ({"parameters": {"1": {"value": "x", "other": "y"}}}, InvalidTemplate),
        ({"parameters": {"1": "  "}}, InvalidTemplate),
        ({"variants": {"not a language": "Hi {{1}}"}}, InvalidTemplate),
        ({"variants": {"en": "Hi {{1}}", "eng": "Hello {{1}}"}}, InvalidTemplate),
        ({"variants": {}}, InvalidTemplate),
        ({"name": "Class Reminder"}, InvalidTemplate),
        ({"category": "promotions"}, InvalidTemplate),
    ],
)  # fmt: skip
async def test_a_template_that_breaks_a_rule_is_refused_with_its_code(
    service: FakeDispatcher, given: dict[str, Any], error: type[DomainError]
) -> None:
    with pytest.raises(error):
        await make(service, **given)
    assert service.templates.stored == {}


async def test_a_change_is_checked_whole_and_only_at_the_version_read(
    service: FakeDispatcher,
) -> None:
    made = await make(service)
    with pytest.raises(TemplateParameterMismatch):  # a new variant against the kept parameters
        await service.bus.handle(
            UpdateTemplate(by=ADMIN, template_id=made.id, changes={"variants": {"eng": "Hi"}})
        )
    changed = await service.bus.handle(
        UpdateTemplate(by=ADMIN, template_id=made.id, expected_version=1,
                       changes={"variants": {"eng": "Hi {{1}}", "swa": "Habari {{1}}"}})
    )  # fmt: skip
    assert (changed.version, set(changed.variants)) == (2, {"eng", "swa"})
    with pytest.raises(VersionConflict):
        await service.bus.handle(
            UpdateTemplate(by=ADMIN, template_id=made.id, expected_version=1,
                           changes={"name": "other"})
        )  # fmt: skip
    await service.bus.handle(DeleteTemplate(by=ADMIN, template_id=made.id))
    assert await service.templates.get(ORG, made.id) is None
    with pytest.raises(TemplateNotFound):
        await service.bus.handle(DeleteTemplate(by=ADMIN, template_id=made.id))


def test_parameter_text_follows_whatsapp_rules() -> None:
    assert parameter_text("Line one\nline\ttwo\r\n") == "Line one line two"
    assert parameter_text("a          b") == "a    b"
    assert parameter_text("a    b") == "a    b"
    # Every break Unicode knows, and runs of any kind of space
    assert parameter_text("one\vtwo\fthree\u2028four\u2029five\x85six") == (
        "one two three four five six"
    )
    assert parameter_text("a\u00a0\u00a0 \u2003\u00a0\u00a0b") == "a    b"


async def test_a_parameter_mixes_text_and_expressions_and_keeps_a_literal_at(
    service: FakeDispatcher,
) -> None:
    await audience_of_four(service)
    await deliver(service, organization_updated(ORG, default_language="eng"), sequence=2)
    made = await make(
        service,
        variants={"eng": "Hi {{1}} ({{2}}), write to {{3}}"},
        parameters={"1": {"value": "Mx @contact.first_name of @contact.fields.class",
                          "fallback": "friend"},
                    "2": "@contact.phone", "3": "@roster_help"},
    )  # fmt: skip
    log = await channel(service)
    sent = await broadcast(service, log, template_id=made.id, groups=["g1"])
    await send_everything(service, sent.id)
    received = {m.contact_id: m.said.text for m in service.providers.for_channel_type("log")}
    assert received["amy"] == "Hi Mx Amy of Maths 2 (+254700000001), write to @roster_help"
    assert received["bo"] == "Hi friend (+254700000002), write to @roster_help"  # no class
    # What each was told travels in its MessageSent (the flows service keeps conversations)
    told = {e.contact_id: e.text for e in service.broadcasts.published
            if isinstance(e, MessageSent)}  # fmt: skip
    assert told == received
    with pytest.raises(InvalidExpression):
        await make(service, name="other", parameters={"1": "Mx @contact.surnam"})


# Each contact told in their language, with their values


async def audience_of_four(service: FakeDispatcher) -> None:
    """amy (English, class set), bo (Swahili, no class), cy (French: no variant), dee
    (no name)."""
    await deliver(service, organization_updated(ORG, default_language=None))
    await created(service, "amy", "+254700000001", opt_in=OPTED_IN)
    await deliver(service, contact_updated("amy", name="Amy  Otieno", fields={"class": CLASS}), 2)
    await created(service, "bo", "+254700000002", opt_in=OPTED_IN, language="swa")
    await deliver(service, contact_updated("bo", name="Bo"), 2)
    await created(service, "cy", "+254700000003", opt_in=OPTED_IN, language="fra")
    await deliver(service, contact_updated("cy", name="Cy"), 2)
    await created(service, "dee", "+254700000004", opt_in=OPTED_IN)
    await deliver(service, contact_updated("dee", name=None), 2)
    await group(service, "g1", "amy", "bo", "cy", "dee")


async def test_template_preview_and_sending_agree_contact_by_contact(
    service: FakeDispatcher,
) -> None:
    await audience_of_four(service)
    made = await make(
        service,
        variants={"eng": "Hi {{1}}, {{2}} starts Monday", "swa": "Habari {{1}}, {{2}} Jumatatu"},
        parameters={"1": "@contact.first_name",
                    "2": {"value": "@contact.fields.class", "fallback": "your class"}},
    )  # fmt: skip
    wa = await channel(service, "whatsapp_cloud")
    counted = await preview(service.uow, ADMIN, Audience(groups=("g1",)), wa,
                            template_id=made.id)  # fmt: skip
    assert (counted.audience, counted.will_receive) == (4, 2)
    assert counted.excluded["missing_variable"] == 1  # dee: no name, no fallback
    assert counted.excluded["no_template_language"] == 1  # cy: French, and no default
    assert counted.excluded["outside_window"] == 0  # templates go at any time

    sent = await broadcast(service, wa, template_id=made.id, groups=["g1"])
    await send_everything(service, sent.id)

    received = {m.contact_id: m.said for m in service.providers.for_channel_type("whatsapp_cloud")}
    assert received["amy"].text == "Hi Amy, Maths 2 starts Monday"
    assert received["bo"].text == "Habari Bo, your class Jumatatu"
    call = received["bo"].template
    assert call is not None
    assert (call.name, call.language, call.named) == ("class_reminder", "swa", False)
    assert call.parameters == (("1", "Bo"), ("2", "your class"))
    outcomes = {r.contact_id: (r.status, r.reason)
                for r in service.broadcasts.recipients(sent.id).values()}  # fmt: skip
    assert outcomes["cy"] == ("skipped", "no_template_language")
    assert outcomes["dee"] == ("skipped", "missing_variable")


async def test_the_organisations_language_is_the_fallback_variant(
    service: FakeDispatcher,
) -> None:
    await audience_of_four(service)
    await deliver(service, organization_updated(ORG, default_language="eng"), sequence=2)
    made = await make(service)
    log = await channel(service)
    counted = await preview(service.uow, ADMIN, Audience(groups=("g1",)), log,
                            template_id=made.id)  # fmt: skip
    assert counted.excluded["no_template_language"] == 0
    sent = await broadcast(service, log, template_id=made.id, groups=["g1"])
    await send_everything(service, sent.id)
    received = {m.contact_id: m.said for m in service.providers.for_channel_type("log")}
    assert received["cy"].text == "Hi Cy"  # French contact, English variant
    assert received["bo"].template is not None and received["bo"].template.language == "eng"


async def test_free_text_says_the_contacts_values_and_is_held_to_the_window_on_whatsapp(
    service: FakeDispatcher,
) -> None:
    await audience_of_four(service)
    log = await channel(service)
    text = "Dear @contact.first_name, mail us at help@@example.org."
    counted = await preview(service.uow, ADMIN, Audience(groups=("g1",)), log, text=text)
    assert counted.excluded["missing_variable"] == 1  # dee
    sent = await broadcast(service, log, text=text, groups=["g1"])
    await send_everything(service, sent.id)
    received = {m.contact_id: m.said.text for m in service.providers.for_channel_type("log")}
    assert received["amy"] == "Dear Amy, mail us at help@example.org."
    assert "dee" not in received

    wa = await channel(service, "whatsapp_cloud")
    on_whatsapp = await preview(service.uow, ADMIN, Audience(groups=("g1",)), wa, text=text)
    assert on_whatsapp.excluded["outside_window"] == 3  # nobody wrote in the last 24 hours


async def test_a_value_gone_missing_after_resolution_skips_the_contact(
    service: FakeDispatcher,
) -> None:
    await audience_of_four(service)
    log = await channel(service)
    sent = await broadcast(service, log, text="Hi @contact.name", groups=["g1"])
    assert await service.bus.handle(ResolveBroadcast(ORG, sent.id))
    await deliver(service, contact_updated("amy", name=None), sequence=3)
    await send_everything(service, sent.id)
    amy = service.broadcasts.recipients(sent.id)["amy"]
    assert (amy.status, amy.reason) == ("skipped", "missing_variable")


async def test_a_broadcast_keeps_the_template_it_was_made_with(service: FakeDispatcher) -> None:
    await audience_of_four(service)
    made = await make(service)
    log = await channel(service)
    sent = await broadcast(service, log, template_id=made.id, contact_ids=["amy"])
    await service.bus.handle(
        UpdateTemplate(by=ADMIN, template_id=made.id, changes={"variants": {"eng": "Yo {{1}}"}})
    )
    await service.bus.handle(DeleteTemplate(by=ADMIN, template_id=made.id))
    await send_everything(service, sent.id)
    [message] = service.providers.for_channel_type("log")
    assert message.said.text == "Hi Amy"


async def test_a_broadcast_names_a_text_or_a_known_template(service: FakeDispatcher) -> None:
    await audience_of_four(service)
    log = await channel(service)
    with pytest.raises(UnknownTemplate):
        await broadcast(service, log, template_id="nope", groups=["g1"])
    made = await template(service, {"eng": "Hi"})
    with pytest.raises(InvalidBroadcast):
        await broadcast(service, log, text="Hi", template_id=made, groups=["g1"])
    with pytest.raises(InvalidBroadcast):
        await broadcast(service, log, groups=["g1"])
    with pytest.raises(InvalidExpression):
        await broadcast(service, log, text="Hi @contact.nickname", groups=["g1"])
    other = await service.bus.handle(
        CreateTemplate(by=OTHER_ORG_ADMIN, name="t", category="utility", variants={"eng": "Hi"},
                       parameters={})
    )  # fmt: skip
    with pytest.raises(UnknownTemplate):  # another organisation's
        await broadcast(service, log, template_id=other.id, groups=["g1"])


# Acceptance 1: every exclusion reason, counted by the preview, met one by one when sent


async def every_reason(service: FakeDispatcher) -> None:
    """One contact per reason (and two who receive): c09 last wrote two days ago, c12 has no
    name, c13 speaks French (no variant, no default language)."""
    await deliver(service, organization_updated(ORG, default_language=None))
    now = service.clock()
    recent, stale = now - timedelta(hours=1), now - timedelta(days=2)
    traits: dict[str, dict[str, Any]] = {
        "c01": {}, "c02": {"status": "blocked"}, "c03": {"status": "stopped"},
        "c04": {"status": "archived"}, "c05": {}, "c06": {}, "c07": {"opt_in": OptInRecord()},
        "c08": {"phone": "+254700000001"}, "c09": {"seen": stale}, "c10": {"phone": None},
        "c12": {"name": None}, "c13": {"language": "fra"},
    }  # fmt: skip
    for n, (contact_id, t) in enumerate(traits.items(), start=1):
        phone = t.get("phone", f"+25470000{n:04d}")
        await created(service, contact_id, phone or "+254799999999",
                      status=t.get("status", "active"), opt_in=t.get("opt_in", OPTED_IN),
                      language=t.get("language", "eng"))  # fmt: skip
        changes = {"last_seen_at": t.get("seen", recent), "phone": phone,
                   "name": t.get("name", f"Name {contact_id}")}  # fmt: skip
        await deliver(service, contact_updated(contact_id, **changes), sequence=2)
    await group(service, "everyone", *traits)
    await group(service, "do-not-text", "c05")
    banned = group_updated("do-not-text", "do-not-text").model_copy(update={"blacklisted": True})
    await deliver(service, banned, sequence=3)
    await group(service, "already-told", "c06")


EXPECTED = {"c01": None, "c02": "blocked", "c03": "stopped", "c04": "archived",
            "c05": "blacklisted", "c06": "excluded_group", "c07": "not_opted_in",
            "c08": "duplicate", "c10": "no_phone", "c12": "missing_variable"}  # fmt: skip


@pytest.mark.parametrize(
    ("message", "late"),
    [
        ({"text": "Hi @contact.name"}, {"c09": "outside_window", "c13": None}),
        ({"template": True}, {"c09": None, "c13": "no_template_language"}),
    ],
)
async def test_every_reason_the_preview_counts_is_each_recipients_outcome(
    service: FakeDispatcher, message: dict[str, Any], late: dict[str, str | None]
) -> None:
    await every_reason(service)
    wa = await channel(service, "whatsapp_cloud")
    given: dict[str, Any] = {"text": message.get("text")}
    if message.get("template"):
        given = {"template_id": (await make(service, parameters={"1": "@contact.name"})).id}
    audience = Audience(groups=("everyone",), exclude_groups=("already-told",))
    counted = await preview(service.uow, ADMIN, audience, wa, **given)
    expected = EXPECTED | late

    reasons = Counter(r for r in expected.values() if r is not None)
    assert {k: v for k, v in counted.excluded.items() if v} == reasons
    assert counted.will_receive == list(expected.values()).count(None)
    assert counted.audience == len(expected)

    sent = await broadcast(service, wa, groups=["everyone"], exclude_groups=["already-told"],
                           **given)  # fmt: skip
    await send_everything(service, sent.id)
    outcomes = {i: r.reason if r.status == "skipped" else None
                for i, r in service.broadcasts.recipients(sent.id).items()}  # fmt: skip
    assert outcomes == expected
    statuses = Counter(r.status for r in service.broadcasts.recipients(sent.id).values())
    assert statuses["sent"] == counted.will_receive
