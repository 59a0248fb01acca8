"""RapidPro parity, in forms: every query of the table (`tests.support.rapidpro_queries`) gives
its Roster form and RapidPro's printed form, both forms parse back to the same meaning, and what
RapidPro refuses is refused with RapidPro's error code. The integration test runs the same table
against contacts, in memory and through the store."""

from __future__ import annotations

import pytest

from shared.contactql.errors import QueryError
from shared.contactql.resolve import parse_query
from shared.contactql.syntax import MAX_CONDITIONS, MAX_DEPTH, MAX_LENGTH, MAX_NESTING
from tests.support.rapidpro_queries import CONTEXT, PARSED, REFUSED, Parsed, Refused


def test_the_table_is_large_enough() -> None:
    assert len(PARSED) + len(REFUSED) >= 150
    assert len({row.query for row in PARSED} | {row.query for row in REFUSED}) == len(PARSED) + len(
        REFUSED
    ), "a query is in the table twice"


@pytest.mark.parametrize("row", PARSED, ids=[row.query for row in PARSED])
def test_query_reads_as_rapidpro_reads_it(row: Parsed) -> None:
    parsed = parse_query(row.query, CONTEXT)
    assert parsed.text == row.own
    assert parsed.rapidpro_text == row.rapidpro


@pytest.mark.parametrize("row", PARSED, ids=[row.query for row in PARSED])
def test_both_printed_forms_mean_the_query(row: Parsed) -> None:
    """Each form parses back to the same predicate, and prints itself again (Roster's form
    keeps values as typed, so only RapidPro's, whose values are normalized, is stable both
    ways)."""
    parsed = parse_query(row.query, CONTEXT)
    own = parse_query(parsed.text, CONTEXT)
    rapidpro = parse_query(parsed.rapidpro_text, CONTEXT)
    assert own.predicate == parsed.predicate
    assert rapidpro.predicate == parsed.predicate
    assert (own.text, own.rapidpro_text) == (parsed.text, parsed.rapidpro_text)
    assert rapidpro.rapidpro_text == parsed.rapidpro_text


@pytest.mark.parametrize("row", REFUSED, ids=[row.query for row in REFUSED])
def test_query_is_refused_as_rapidpro_refuses_it(row: Refused) -> None:
    with pytest.raises(QueryError) as refused:
        parse_query(row.query, CONTEXT)
    assert refused.value.code == row.code
    assert refused.value.message


@pytest.mark.parametrize(
    ("query", "details"),
    [
        ('urn ~ "23"', {"min_value_length": 3, "value": "23"}),
        ('name ~ "x"', {"min_token_length": 2, "value": "x"}),
        ("xxx.age = 12", {"type": "xxx"}),
        ("urns.twitter = bobby", {"property": "urns.twitter"}),
        ("urn > 02352", {"property": "urn", "operator": ">"}),
    ],
)
def test_refusals_carry_rapidpro_details(query: str, details: dict[str, object]) -> None:
    with pytest.raises(QueryError) as refused:
        parse_query(query, CONTEXT)
    assert refused.value.details == details


def _too_complex(query: str) -> QueryError:
    with pytest.raises(QueryError) as refused:
        parse_query(query, CONTEXT)
    assert refused.value.code == "too_complex"
    return refused.value


def test_a_query_of_10000_characters_is_read_and_one_more_is_too_complex() -> None:
    assert MAX_LENGTH == 10_000
    at_limit = 'name = "' + "x" * (MAX_LENGTH - len('name = ""')) + '"'
    assert len(at_limit) == MAX_LENGTH
    assert parse_query(at_limit, CONTEXT).text == at_limit.replace('"', "")
    longer = 'name = "' + "x" * (MAX_LENGTH - len('name = ""') + 1) + '"'
    assert _too_complex(longer).details == {"limit": MAX_LENGTH}
    # Characters, not bytes: 5,000 two-byte characters are well within the limit.
    assert parse_query('name = "' + "é" * 5000 + '"', CONTEXT).predicate


def test_250_conditions_are_read_and_251_are_too_complex() -> None:
    assert MAX_CONDITIONS == 250
    at_limit = "name=x" + " OR name=x" * (MAX_CONDITIONS - 1)
    assert parse_query(at_limit, CONTEXT).text.count("OR") == MAX_CONDITIONS - 1
    refused = _too_complex(at_limit + " OR name=x")
    assert refused.details == {"limit": MAX_CONDITIONS}


def test_parentheses_nest_100_deep_and_no_deeper() -> None:
    assert MAX_DEPTH == 100
    deep = "(" * MAX_DEPTH + "age = 1" + ")" * MAX_DEPTH
    assert parse_query(deep, CONTEXT).text == "age = 1"
    deeper = "(" + deep + ")"
    assert _too_complex(deeper).details == {"limit": MAX_DEPTH}


def test_and_or_alternate_only_as_deep_as_a_store_filter_allows() -> None:
    def alternating(levels: int) -> str:
        query = "age = 0"
        for level in range(levels):
            joiner = " OR " if level % 2 == 0 else " AND "
            query = f"age = {level + 1}{joiner}({query})"
        return query

    assert parse_query(alternating(MAX_NESTING), CONTEXT).predicate
    assert _too_complex(alternating(MAX_NESTING + 1)).details == {"limit": MAX_NESTING}
