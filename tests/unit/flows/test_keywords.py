"""STOP and JOIN: a contact's whole message read against the organisation's keywords (any
language, case, punctuation), and what it leads to: the consent asked of the contacts service,
published once with the message; nothing for a blocked contact, nor for a stopped contact's
other messages unless the organisation wants RapidPro's behaviour; settings checked whole."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.flows.domain.commands import UpdateKeywords
from services.flows.domain.errors import InvalidKeywords, VersionConflict
from services.flows.domain.keywords import KeywordSettings, normalized
from shared.auth import Principal, Role
from shared.contracts.consent import ChangeContactConsent
from shared.contracts.envelope import EventPayload
from shared.contracts.inbound import InboundMessageReceived
from tests.fakes.contacts import T0
from tests.fakes.flows import FakeFlows, build_fake_flows
from tests.support.contact_events import contact_created
from tests.support.messages import received

ORG = "org-1"
ADMIN = Principal(org_id=ORG, role=Role.ADMIN, subject="ada")


@pytest.fixture
def flows() -> FakeFlows:
    return build_fake_flows()


async def deliver(flows: FakeFlows, *events: EventPayload) -> None:
    await flows.bus.handle_many([received(e, ORG) for e in events])


def wrote(n: int, text: str, phone: str = "+254700000001") -> InboundMessageReceived:
    return InboundMessageReceived(
        message_id=f"in.c1.{n}", channel_id="c1", phone=phone, text=text, kind="text",
        provider_message_id=f"w{n}", received_at=T0 + timedelta(seconds=n),
    )  # fmt: skip


def keywords(opt_out: dict[str, list[str]], opt_in: dict[str, list[str]]) -> UpdateKeywords:
    return UpdateKeywords(by=ADMIN, opt_out=opt_out, opt_in=opt_in,
                          reactivate_on_any_message=False, version=0)  # fmt: skip


def asked(flows: FakeFlows) -> list[tuple[str, str, str]]:
    return [(c.contact_id, c.consent, c.reason or "") for c in flows.conversations.published
            if isinstance(c, ChangeContactConsent)]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "meaning"),
    [("STOP", "opt_out"), ("Stop.", "opt_out"), ("  stop!! ", "opt_out"), ("opt-out", "opt_out"),
     ("OPT  OUT", "opt_out"), ("unsubscribe", "opt_out"), ("Join", "opt_in"), ("START", "opt_in"),
     ("stop please", None), ("please STOP", None), ("hello", None), ("", None), ("🛑", None)],
)  # fmt: skip
def test_the_whole_message_is_read_whatever_its_case_and_punctuation(
    text: str, meaning: str | None
) -> None:
    assert KeywordSettings(ORG).meaning(text) == meaning


async def test_stop_then_hello_then_join_ask_the_contacts_service_once_each(
    flows: FakeFlows,
) -> None:
    await deliver(flows, contact_created("amy", "Amy", "+254700000001"))
    await deliver(flows, wrote(1, "Stop."), wrote(2, "hello"), wrote(3, "JOIN"))
    await deliver(flows, wrote(1, "Stop."))  # delivered again: nothing asked again
    assert asked(flows) == [("amy", "opted_out", "keyword stop"),
                            ("amy", "opted_in", "keyword join")]  # fmt: skip
    [stop] = [c for c in flows.conversations.published if isinstance(c, ChangeContactConsent)][:1]
    assert (stop.method, stop.actor, stop.requested_at) == (
        "keyword",
        "flows:keyword",
        T0 + timedelta(seconds=1),
    )


async def test_a_new_numbers_join_takes_effect_once_its_contact_is_known(
    flows: FakeFlows,
) -> None:
    await deliver(flows, wrote(1, "JOIN", "+254700000009"))
    assert asked(flows) == []
    await deliver(flows, contact_created("new", None, "+254700000009"))
    assert asked(flows) == [("new", "opted_in", "keyword join")]


async def test_a_blocked_contact_triggers_nothing_and_a_stopped_one_only_by_choice(
    flows: FakeFlows,
) -> None:
    await deliver(flows, contact_created("bob", "Bob", "+254700000002", status="blocked"),
                  contact_created("sue", "Sue", "+254700000003", status="stopped"))  # fmt: skip
    await deliver(flows, wrote(1, "JOIN", "+254700000002"), wrote(2, "hi", "+254700000003"))
    assert asked(flows) == []
    await flows.bus.handle(UpdateKeywords(by=ADMIN, opt_out={"*": ["STOP"]},
                                          opt_in={"*": ["JOIN"]},
                                          reactivate_on_any_message=True, version=0))  # fmt: skip
    await deliver(flows, wrote(3, "hi again", "+254700000003"))
    assert asked(flows) == [("sue", "opted_in", "message")]


async def test_an_organisations_own_words_in_any_language_replace_the_defaults(
    flows: FakeFlows,
) -> None:
    saved = await flows.bus.handle(
        UpdateKeywords(by=ADMIN, opt_out={"*": ["STOP"], "sw": ["Acha"]}, opt_in={"*": ["Ndiyo"]},
                       reactivate_on_any_message=False, version=0)
    )  # fmt: skip
    assert saved.opt_out == {"*": ("STOP",), "swa": ("Acha",)} and saved.version == 1
    await deliver(flows, contact_created("amy", "Amy", "+254700000001"))  # English speaker
    await deliver(flows, wrote(1, "acha"), wrote(2, "QUIT"), wrote(3, "ndiyo"))
    assert [a[1] for a in asked(flows)] == ["opted_out", "opted_in"]  # QUIT no longer a keyword
    with pytest.raises(VersionConflict):
        await flows.bus.handle(keywords({}, {}))


@pytest.mark.parametrize(
    ("opt_out", "opt_in"),
    [({"*": ["STOP"]}, {"*": ["stop!"]}),  # in both lists
     ({"nope language": ["STOP"]}, {}),  # no such language
     ({"*": ["?!"]}, {}),  # says nothing once normalised
     ({"*": ["X" * 31]}, {})],
)  # fmt: skip
async def test_settings_that_break_a_rule_are_refused_whole(
    flows: FakeFlows, opt_out: dict[str, list[str]], opt_in: dict[str, list[str]]
) -> None:
    with pytest.raises(InvalidKeywords):
        await flows.bus.handle(keywords(opt_out, opt_in))
    assert (await flows.keywords.get(ORG)).version == 0


def test_normalized_keeps_letters_and_digits_of_every_script() -> None:
    assert normalized(" ACHA, tafadhali! ") == "acha tafadhali"
    assert normalized("STOP2") == "stop2"
