"""The query language: clauses read from what was typed, malformed queries that must never raise, date ranges."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from index import LiveIndex, SearchRequest, search
from index.querying import MAX_QUERY_LENGTH, DateRange, QueryParser, has_syntax, parse_date_range
from index.schema import build_schema
from tests.conftest import ODD_ARTICLES, odd_article

PARSER = QueryParser(build_schema())

MALFORMED = [
    "", " ", "(((", ")))", '"unbalanced', "a AND", "OR", "AND OR NOT", "NOT", "-", "--x", "*", "**", "a*", "?",
    "foo:", ":bar", "category:", "date:", "date:2024-13..2024-99", "date:..", "date:x..y", "[a TO b]", "x^3",
    "title:(", "\x00\x01\x1f", "\u202e\u0000", "🙂 emoji", "日本語のクエリ", "a" * 5000, "word " * 2000, "'", '"', "\\",
    "category:\"", "author:\"Ann", "(a OR (b AND", "NOT NOT NOT", "+", "+ -", "~", "~2", "a~", "{}", "<script>",
]


def typed(clauses) -> list[str]:
    """Return how each clause was typed."""
    return [clause.typed for clause in clauses]


@pytest.mark.parametrize("text", MALFORMED)
def test_malformed_query_parses_into_clauses_of_what_was_typed(text):
    parsed = PARSER.parse(text)
    for clause in parsed.required + parsed.optional + parsed.excluded:
        assert clause.typed and clause.typed in text[:MAX_QUERY_LENGTH] or clause.typed.startswith(("(", '"'))
    visible = "".join(ch for ch in text if ch.isprintable()).strip(" *?()\"'+-~^{}[]\\:")
    if not parsed.has_words and visible and not parsed.filters and not parsed.date_range:
        assert parsed.notes, f"{text!r} lost its words without saying why"


def test_malformed_queries_all_return_consistent_results(bbc_index):
    snapshot = LiveIndex(bbc_index).snapshot()
    everything = search(snapshot, SearchRequest()).total
    for text in MALFORMED:
        result = search(snapshot, SearchRequest(query=text))
        assert len(result.hits) == min(result.per_page, result.total), text
        assert result.every_word <= result.total
        if result.understood.strip():
            assert result.total < everything, text
        else:  # no word to search by: every article (nothing typed, or a filter ignored), or none and a note why
            assert result.total == everything or (result.total == 0 and result.notes), text


def test_typed_words_are_optional_and_syntax_makes_them_required_or_excluded():
    parsed = PARSER.parse('peace talks "trade deal" +istanbul -trump NOT war')
    assert typed(parsed.optional) == ["peace", "talks"]
    assert typed(parsed.required) == ['"trade deal"', "istanbul"]
    assert typed(parsed.excluded) == ["trump", "war"]
    assert parsed.understood == '"trade deal" +istanbul peace talks -trump -war'


def test_an_explicit_and_requires_both_sides_and_or_makes_one_clause():
    parsed = PARSER.parse("oil AND gas prices")
    assert typed(parsed.required) == ["oil", "gas"] and typed(parsed.optional) == ["prices"]
    either = PARSER.parse("peace OR war talks")
    assert typed(either.optional) == ["peace OR war", "talks"] and not either.required


def test_words_in_brackets_count_one_by_one():
    assert typed(PARSER.parse("(peace talks) istanbul").optional) == ["peace", "talks", "istanbul"]


def test_the_all_words_switch_requires_every_word_and_relaxing_frees_them():
    parsed = PARSER.parse('peace talks "trade deal" +peace')
    strict = parsed.strict()
    assert typed(strict.required) == ['"trade deal"', "peace", "talks"] and not strict.optional
    relaxed = PARSER.relaxed(parsed)
    assert typed(relaxed.optional) == ["talks", "trade", "deal", "peace"] and not relaxed.required
    assert 'no article matches "trade deal", peace as required' in relaxed.notes[-1]


def test_a_question_mark_ends_a_question_instead_of_making_a_wildcard():
    parsed = PARSER.parse("What are the titles? Who wrote them?")
    assert typed(parsed.optional) == ["What", "titles", "Who", "wrote", "them"]


def test_a_hyphen_inside_a_word_joins_rather_than_negates():
    parsed = PARSER.parse("anti-war protest -riot")
    assert typed(parsed.optional) == ["anti-war", "protest"] and typed(parsed.excluded) == ["riot"]


def test_repeated_words_count_once_with_their_repeats_as_weight():
    parsed = PARSER.parse("war war peace")
    assert typed(parsed.optional) == ["war", "peace"]
    assert [term.boost for term in parsed.optional[0].query.subqueries] == [2.0, 2.0]


def test_facet_fields_become_filters():
    parsed = PARSER.parse('istanbul category:World author:"Ann Lee" -source:tabloid')
    assert parsed.filters == {"category": ("World",), "authors": ("Ann Lee",)}
    assert parsed.exclusions == {"source": ("tabloid",)}
    assert typed(parsed.optional) == ["istanbul"]
    assert "category:World was read as a filter" in parsed.notes


def test_unknown_field_is_searched_as_words():
    [clause] = PARSER.parse("colour:red").optional
    assert clause.typed == "colour:red"
    assert {leaf.text for leaf in clause.query.leaves()} == {"colour", "red"}


def test_overly_broad_wildcard_degrades_to_words():
    parsed = PARSER.parse("a* economy")
    assert typed(parsed.optional) == ["economy"]  # as typed, not as stemmed
    assert parsed.notes == ("the query syntax was unclear, so it was searched as plain words",)


words = st.lists(st.sampled_from(["peace", "talks", "U.S.", "e.g.", "anti-war", "author's", "café", "x", "the", "Note:", "1990",
                                  "war.", "oil,", "and", "Orwell", "ANDROID", "3.5"]), max_size=12).map(" ".join)


@given(words)
def test_plain_words_are_read_as_whooshs_parser_reads_them(text):
    assert not has_syntax(text)
    assert PARSER.word_clauses(text) == PARSER.syntax_clauses(text)[1]


def test_syntax_is_recognised():
    for text in ('"a b"', "(a)", "a*", "+a", "-a", "a OR b", "NOT a", "a AND b", "'a'", "a^2", "a~"):
        assert has_syntax(text), text
    for text in ("anti-war", "it's", "U.S.", "Note: this", "ORWELL android"):
        assert not has_syntax(text), text


def test_date_ranges():
    assert PARSER.parse("date:2024-01..2024-03 x").date_range == DateRange(date(2024, 1, 1), date(2024, 3, 31))
    assert parse_date_range("2024") == DateRange(date(2024, 1, 1), date(2024, 12, 31))
    assert parse_date_range("..2023-02") == DateRange(None, date(2023, 2, 28))
    assert parse_date_range("2024-03-05..") == DateRange(date(2024, 3, 5), None)
    assert parse_date_range("2024-03..2024-01") == DateRange(date(2024, 1, 1), date(2024, 3, 31))
    assert parse_date_range("2024-02-30") is None
    assert parse_date_range("2024-13") is None and parse_date_range("0000") is None
    assert parse_date_range("yesterday") is None


def test_negative_only_queries_and_negated_filters(bbc_index):
    snapshot = LiveIndex(bbc_index).snapshot()
    everything = search(snapshot, SearchRequest()).total
    with_blair = search(snapshot, SearchRequest(query="blair")).total
    assert search(snapshot, SearchRequest(query="-blair")).total == everything - with_blair
    assert search(snapshot, SearchRequest(query="NOT blair")).total == everything - with_blair
    sport = search(snapshot, SearchRequest(query="category:sport")).total
    assert search(snapshot, SearchRequest(query="NOT category:sport")).total == everything - sport
    assert search(snapshot, SearchRequest(query="-blair -brown")).total < everything - with_blair


def test_the_last_month_a_date_can_hold_is_a_range():
    assert parse_date_range("9999-12") == DateRange(date(9999, 12, 1), date(9999, 12, 31))
    assert parse_date_range("2024..9999-12") == DateRange(date(2024, 1, 1), date(9999, 12, 31))


def test_far_future_dates_do_not_overflow(odd_index):
    snapshot = LiveIndex(odd_index).snapshot()
    years = [int(record["published"][:4]) for record in map(odd_article, range(ODD_ARTICLES)) if record["published"]]
    assert search(snapshot, SearchRequest(query="date:9999")).total == 0
    assert search(snapshot, SearchRequest(query="date:2999")).total == years.count(2999) > 0
    assert search(snapshot, SearchRequest(query="date:2000..9999")).total == sum(year >= 2000 for year in years)
