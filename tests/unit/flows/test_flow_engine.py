"""The flow engine on the goflow format: a flow read or refused with every unsupported part
named, the router tests with goflow's meaning, expressions, and a survey run answer by answer
(the commands it asks for, each message once, answers outside the range taking "Other",
timeouts, loops stopped)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest

from services.flows.domain.flow_definition import FlowDefinition, read_flow, resolve_groups
from services.flows.domain.flow_expressions import Context, render, unsupported_expressions
from services.flows.domain.flow_tests import TESTS, first_number
from services.flows.domain.runs import ContactSnapshot, FlowRun, resume, start, time_out
from shared.contracts.contact_commands import ChangeContactFields
from shared.contracts.group_commands import AddContactToGroups
from shared.contracts.message_commands import SendMessage
from tests.support.flows import survey_flow

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
DONE = ("g-done", "Survey completed")


def survey(**options: object) -> FlowDefinition:
    flow, problems = read_flow(survey_flow(DONE, **options))  # type: ignore[arg-type]
    assert problems == [] and flow is not None
    return flow


def amina() -> ContactSnapshot:
    return ContactSnapshot(id="c1", phone="+254700000001", name="Amina Njeri", language="eng",
                           fields={}, groups=set(), version=4)  # fmt: skip


def new_run() -> FlowRun:
    return FlowRun(id="run-1", org_id="org-1", flow_id="f1", flow_version=1, contact_id="c1",
                   channel_id="ch-1", started_at=NOW)  # fmt: skip


def said(run: FlowRun) -> list[tuple[str, str]]:
    return [(c.message_id, c.text) for c in run.commands if isinstance(c, SendMessage)]


@pytest.mark.parametrize(
    ("test", "text", "args", "match"),
    [("has_any_word", "The Quick Brown Fox", ("fox quick",), "Quick Fox"),
     ("has_any_word", "The Quick Brown Fox", ("red",), None),
     ("has_all_words", "the quick brown FOX", ("the fox",), "the FOX"),
     ("has_all_words", "the quick brown fox", ("red fox",), None),
     ("has_phrase", "the quick brown fox", ("brown fox",), "brown fox"),
     ("has_phrase", "the Quick Brown fox", ("quick fox",), None),
     ("has_only_phrase", "Quick Brown", ("quick brown",), "Quick Brown"),
     ("has_only_phrase", "The Quick Brown", ("quick brown",), None),
     ("has_beginning", " The Quick Brown", ("the quick",), "The Quick"),
     ("has_beginning", "The Quick Brown", ("quick",), None),
     ("has_text", " hi ", (), "hi"), ("has_text", " \n", (), None),
     ("has_pattern", "Buy cheese please", (r"buy (\w+)",), "Buy cheese"),
     ("has_number", "the number is 42", (), "42"), ("has_number", "forty two", (), None),
     ("has_number_between", "I am 42", ("40", "44"), "42"),
     ("has_number_between", "I am 420", ("1", "120"), None),
     ("has_number_lt", "42", ("44",), "42"), ("has_number_lte", "42", ("42",), "42"),
     ("has_number_eq", "42.0", ("42",), "42.0"), ("has_number_gte", "41", ("42",), None),
     ("has_number_gt", "43", ("42",), "43"),
     ("has_email", "write to amy@example.org today", (), "amy@example.org"),
     ("has_phone", "call 0712 345 678", ("KE",), "+254712345678")],
)  # fmt: skip
def test_router_tests_read_text_as_goflow_does(
    test: str, text: str, args: tuple[str, ...], match: str | None
) -> None:
    assert TESTS[test].check(args) is None
    assert TESTS[test].run(text, args) == match


def test_numbers_are_the_first_one_written() -> None:
    assert first_number("about 1,000 people") == 1000
    assert first_number("3,5 kg") == pytest.approx(3.5)
    assert first_number("none") is None


def test_expressions_say_the_contact_results_and_input() -> None:
    context = Context(name="Amina Njeri", language="swa", phone="+2547", fields={"age": "31"},
                      results={"colour": ("blue", "Blue")}, input="hi")  # fmt: skip
    text = "@contact.first_name (@fields.age, @contact.fields.age) likes @results.colour.category."
    assert render(text, context) == "Amina (31, 31) likes Blue."
    assert render("@@home @input mail amy@example.org", context) == "@home hi mail amy@example.org"
    assert unsupported_expressions("@(upper(contact.name)) @run.status @contact.urn") == [
        "@(...)", "@run.status", "@contact.urn"]  # fmt: skip


def test_a_survey_asks_records_answers_and_moves_the_respondent() -> None:
    flow, run, contact = survey(), new_run(), amina()

    start(run, flow, contact, NOW)
    assert (run.status, run.node, said(run)) == (
        "waiting", "n-age", [("run-1.1", "Hi Amina! How old are you?")])  # fmt: skip
    run.commands.clear()

    assert resume(run, flow, contact, "about 200", "in-1", NOW)  # out of range: asked again
    assert said(run) == [("run-1.2", "Hi Amina! How old are you?")]
    assert run.results["age"].category == "Other"
    assert not resume(run, flow, contact, "about 200", "in-1", NOW)  # delivered twice
    run.commands.clear()

    resume(run, flow, contact, "I am 31", "in-2", NOW)
    resume(run, flow, contact, "Blue, definitely", "in-3", NOW)

    assert run.status == "completed" and run.node is None
    assert (run.results["age"].value, run.results["age"].category) == ("31", "Valid")
    colour = run.results["colour"]
    assert (colour.value, colour.input) == ("Blue", "Blue, definitely")
    join, fields, bye = run.commands[1:]
    assert isinstance(join, AddContactToGroups) and join.group_ids == ["g-done"]
    assert (join.actor, join.contact_version) == ("flow:f1", 4)
    assert isinstance(fields, ChangeContactFields)
    assert fields.fields == {"age": "31", "colour": "Blue"}  # two actions, one command
    assert isinstance(bye, SendMessage) and bye.text == "Done, Amina Njeri: 31 and Blue."
    assert bye.message_id == "run-1.4"


def test_a_silent_contact_times_out_into_the_no_response_category() -> None:
    flow, run, contact = survey(timeout_s=300), new_run(), amina()
    start(run, flow, contact, NOW)
    assert run.timeout_at == NOW + timedelta(seconds=300)
    assert run.expires_at == NOW + timedelta(minutes=60)

    assert time_out(run, flow, contact, NOW + timedelta(seconds=300))

    assert run.status == "completed" and run.results["age"].category == "No Response"


def test_a_flow_going_round_without_waiting_is_stopped() -> None:
    raw = survey_flow(DONE)
    raw["nodes"][2]["exits"][0]["destination_uuid"] = "n-done"  # the last node loops
    flow, _ = read_flow(raw)
    assert flow is not None
    run = new_run()
    run.status, run.node = "waiting", "n-colour"
    resume(run, flow, amina(), "red", "in-1", NOW)
    assert (run.status, run.failure) == ("failed", "loop")


def test_a_flow_with_what_is_not_run_here_is_refused_with_each_part_named() -> None:
    raw = copy.deepcopy(survey_flow(DONE))
    raw["nodes"][0]["actions"].append({"uuid": "x1", "type": "call_webhook", "url": "http://x"})
    raw["nodes"][1]["router"]["cases"][0]["type"] = "has_date"
    raw["nodes"][2]["actions"][3]["text"] = "Bye @(upper(contact.name))"

    flow, problems = read_flow(raw)

    assert flow is None
    assert [(p.code, p.node, p.action) for p in problems] == [
        ("unsupported_action", "n-age", "call_webhook"),
        ("unsupported_test", "n-colour", "has_date"),
        ("unsupported_expression", "n-done", "send_msg"),
    ]  # fmt: skip


def test_translations_and_quick_replies_are_named_not_dropped() -> None:
    raw = copy.deepcopy(survey_flow(DONE))
    raw["localization"] = {"spa": {"x": {"text": ["Hola"]}}, "fra": {}}
    raw["nodes"][0]["actions"][0]["quick_replies"] = ["Yes", "No"]

    flow, problems = read_flow(raw)

    assert flow is None
    assert [(p.code, p.node, p.action) for p in problems] == [
        ("unsupported_localization", None, None),
        ("unsupported_action", "n-age", "send_msg"),
    ]
    assert "spa" in problems[0].message and "fra" not in problems[0].message
    raw["localization"], raw["nodes"][0]["actions"][0]["quick_replies"] = {"spa": {}}, []
    again, no_problems = read_flow(raw)
    assert again is not None and no_problems == []


def test_group_references_find_the_organisations_groups_by_id_or_name() -> None:
    raw = survey_flow(("rapidpro-uuid", "survey COMPLETED"))
    found, problems = resolve_groups(raw, {"g-9": "Survey  Completed"})
    assert problems == []
    assert found["nodes"][2]["actions"][0]["groups"] == [
        {"uuid": "g-9", "name": "Survey  Completed"}
    ]
    _, missing = resolve_groups(raw, {})
    assert [(p.code, p.node) for p in missing] == [("unknown_group", "n-done")]


def test_what_the_contact_wrote_is_said_and_routed_on_after_the_wait() -> None:
    raw = survey_flow(DONE)
    raw["nodes"][1]["actions"][0]["text"] = "You said @input. Red or blue?"
    flow, _ = read_flow(raw)
    assert flow is not None
    run, contact = new_run(), amina()
    start(run, flow, contact, NOW)
    resume(run, flow, contact, "31 years", "in-1", NOW)
    assert said(run)[-1][1] == "You said 31 years. Red or blue?"


def test_a_case_argument_may_be_an_expression_and_an_unsupported_one_is_refused() -> None:
    raw = survey_flow(DONE)
    raw["nodes"][1]["router"]["cases"][0]["arguments"] = ["@contact.fields.colour"]
    flow, _ = read_flow(raw)
    assert flow is not None
    run, contact = new_run(), amina()
    contact.fields["colour"] = "green"
    start(run, flow, contact, NOW)
    resume(run, flow, contact, "31", "in-1", NOW)
    resume(run, flow, contact, "Green please", "in-2", NOW)
    assert run.results["colour"].category == "Red"  # the case's category, matched on "green"

    raw["nodes"][1]["router"]["cases"][0]["arguments"] = ["@(upper(contact.name))"]
    _, problems = read_flow(raw)
    assert [(p.code, p.node, p.action) for p in problems] == [
        ("unsupported_expression", "n-colour", "has_any_word")
    ]


def test_a_timeout_that_has_not_come_moves_nothing() -> None:
    flow, run, contact = survey(timeout_s=300), new_run(), amina()
    start(run, flow, contact, NOW)
    assert not time_out(run, flow, contact, NOW + timedelta(seconds=299))
    assert run.node == "n-age" and run.status == "waiting"


def test_numbers_compare_each_one_written_and_refuse_what_is_not_finite() -> None:
    assert TESTS["has_number_between"].run("I have 2 kids, I'm 35", ("18", "99")) == "35"
    assert TESTS["has_number_lt"].check(("NaN",)) == "takes numbers"
