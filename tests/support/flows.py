"""Flows in the goflow format (spec 13), as RapidPro and TextIt export them, for the tests and
the benchmark: a two-question survey that moves respondents to a group and keeps their
answers in fields."""

from __future__ import annotations

from typing import Any

SURVEY_UUID = "5f3c2a9e-8d1b-4c6e-9a7f-0b1c2d3e4f50"


def _router_node(
    uuid: str,
    question: str,
    result: str,
    cases: list[tuple[str, list[str], str]],
    next_node: str | None,
    timeout_s: int | None = None,
) -> dict[str, Any]:
    """A question, then a wait for the answer: each case (test, arguments, category name) and
    an "Other" category lead to `next_node`; "Other" asks again; "No Response" ends the run."""
    categories = [
        {"uuid": f"{uuid}-cat-{i}", "name": name, "exit_uuid": f"{uuid}-exit-{i}"}
        for i, (_, _, name) in enumerate(cases)
    ]
    other = {"uuid": f"{uuid}-cat-other", "name": "Other", "exit_uuid": f"{uuid}-exit-other"}
    exits = [{"uuid": c["exit_uuid"], "destination_uuid": next_node} for c in categories]
    exits.append({"uuid": other["exit_uuid"], "destination_uuid": uuid})
    router: dict[str, Any] = {
        "type": "switch",
        "operand": "@input.text",
        "result_name": result,
        "default_category_uuid": other["uuid"],
        "cases": [
            {
                "uuid": f"{uuid}-case-{i}",
                "type": test,
                "arguments": args,
                "category_uuid": f"{uuid}-cat-{i}",
            }
            for i, (test, args, _) in enumerate(cases)
        ],
        "categories": [*categories, other],
        "wait": {"type": "msg"},
    }
    if timeout_s:
        silent = {
            "uuid": f"{uuid}-cat-silent",
            "name": "No Response",
            "exit_uuid": f"{uuid}-exit-silent",
        }
        router["categories"].append(silent)
        router["wait"]["timeout"] = {"seconds": timeout_s, "category_uuid": silent["uuid"]}
        exits.append({"uuid": silent["exit_uuid"], "destination_uuid": None})
    return {
        "uuid": uuid,
        "actions": [{"uuid": f"{uuid}-ask", "type": "send_msg", "text": question}],
        "router": router,
        "exits": exits,
    }


def survey_flow(
    completed_group: tuple[str, str], timeout_s: int | None = None, expire_minutes: int = 60
) -> dict[str, Any]:
    """Age (a number from 1 to 120) and favourite colour (red or blue), then: into the
    completed group (`(uuid, name)`), the answers in the fields `age` and `colour`."""
    group_uuid, group_name = completed_group
    return {
        "uuid": SURVEY_UUID,
        "name": "Two questions",
        "spec_version": "13.1.0",
        "language": "eng",
        "type": "messaging",
        "revision": 1,
        "expire_after_minutes": expire_minutes,
        "localization": {},
        "nodes": [
            _router_node(
                "n-age",
                "Hi @contact.first_name! How old are you?",
                "Age",
                [("has_number_between", ["1", "120"], "Valid")],
                "n-colour",
                timeout_s,
            ),
            _router_node(
                "n-colour",
                "Thanks! Red or blue?",
                "Colour",
                [("has_any_word", ["red"], "Red"), ("has_any_word", ["blue"], "Blue")],
                "n-done",
            ),
            {
                "uuid": "n-done",
                "actions": [
                    {
                        "uuid": "a-group",
                        "type": "add_contact_groups",
                        "groups": [{"uuid": group_uuid, "name": group_name}],
                    },
                    {
                        "uuid": "a-age",
                        "type": "set_contact_field",
                        "field": {"key": "age", "name": "Age"},
                        "value": "@results.age",
                    },
                    {
                        "uuid": "a-colour",
                        "type": "set_contact_field",
                        "field": {"key": "colour", "name": "Colour"},
                        "value": "@results.colour.category",
                    },
                    {
                        "uuid": "a-bye",
                        "type": "send_msg",
                        "text": "Done, @contact.name: @results.age and @results.colour.category.",
                    },
                ],
                "exits": [{"uuid": "n-done-exit", "destination_uuid": None}],
            },
        ],
    }


def export_file(
    *flows: dict[str, Any], groups: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """A RapidPro/TextIt export holding these flows."""
    return {
        "version": "13",
        "site": "https://textit.com",
        "flows": list(flows),
        "campaigns": [],
        "triggers": [],
        "fields": [
            {"key": "age", "name": "Age", "type": "number"},
            {"key": "colour", "name": "Colour", "type": "text"},
        ],
        "groups": groups or [],
    }
