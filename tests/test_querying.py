"""The query language, and malformed queries that must never raise."""

from __future__ import annotations

from datetime import date

import pytest

from index.querying import DateRange, describe_query, parse_date_range, parse_query
from index.schema import build_schema
from index.searching import SearchRequest, search
from index.snapshot import LiveIndex
from tests.conftest import ODD_ARTICLES, odd_article

SCHEMA = build_schema()

MALFORMED = [
    "", " ", "(((", ")))", '"unbalanced', "a AND", "OR", "AND OR NOT", "NOT", "-", "--x", "*", "**", "a*", "?",
    "foo:", ":bar", "category:", "date:", "date:2024-13..2024-99", "date:..", "date:x..y", "[a TO b]", "x^3",
    "title:(", "\x00\x01\x1f", "\u202e\u0000", "🙂 emoji", "日本語のクエリ", "a" * 5000, "word " * 2000, "'", '"', "\\",
    "category:\"", "author:\"Ann", "(a OR (b AND", "NOT NOT NOT", "+", "+ -", "~", "~2", "a~", "{}", "<script>",
]


@pytest.mark.parametrize("text", MALFORMED)
def test_a_malformed_query_keeps_its_words_or_says_why_it_has_none(text):
    parsed = parse_query(text, SCHEMA)
    searched = describe_query(parsed.text_query).strip()
    assert searched or parsed.notes or not any(character.isalnum() for character in text), "the words were dropped silently"


def test_malformed_queries_search_as_far_as_they_can_be_read(bbc_index):
    snapshot = LiveIndex(bbc_index).snapshot()
    everything = search(snapshot, SearchRequest()).total
    for text in MALFORMED:
        result = search(snapshot, SearchRequest(query=text))
        assert len(result.hits) == min(result.per_page, result.total), text
        if result.understood.strip():
            assert result.total < everything, text
        else:  # no word to search by: every article (nothing typed, or a filter ignored), or none and a note why
            assert result.total == everything or (result.total == 0 and result.notes), text


def test_words_phrases_or_not_and_wildcards():
    assert describe_query(parse_query("peace talks", SCHEMA).text_query) == "peac talk"
    assert describe_query(parse_query('"peace talks" OR war -trump', SCHEMA).text_query) == '("peac talk" OR war) -trump'
    assert describe_query(parse_query("NOT trump", SCHEMA).text_query) == "-trump"
    assert describe_query(parse_query("istan*", SCHEMA).text_query) == "istan*"


def test_a_hyphen_inside_a_word_joins_rather_than_negates():
    parsed = parse_query("anti-war protest -riot", SCHEMA)
    assert parsed.display == "anti war protest -riot"
    assert "ANDNOT" in str(parsed.text_query) and "riot" in str(parsed.text_query).split("ANDNOT")[1]
    assert "war" not in str(parsed.text_query).split("ANDNOT")[1]


def test_the_query_is_shown_in_the_words_typed():
    assert parse_query("elections -elected", SCHEMA).display == "elections -elected"
    assert parse_query('"Bank of England" rates', SCHEMA).display == '"bank england" rates'
    assert parse_query("-trump -war", SCHEMA).display == "-(trump OR war)"
    assert parse_query("talks +peace", SCHEMA).display == "+peace talks"


def test_facet_fields_become_filters():
    parsed = parse_query('istanbul category:World author:"Ann Lee" -source:tabloid', SCHEMA)
    assert parsed.filters == {"category": ("World",), "authors": ("Ann Lee",)}
    assert parsed.exclusions == {"source": ("tabloid",)}
    assert describe_query(parsed.text_query) == "istanbul"
    assert "category:World was read as a filter" in parsed.notes


def test_unknown_field_is_searched_as_words():
    assert describe_query(parse_query("colour:red", SCHEMA).text_query) == "colour red"


def test_date_ranges():
    assert parse_query("date:2024-01..2024-03 x", SCHEMA).date_range == DateRange(date(2024, 1, 1), date(2024, 3, 31))
    assert parse_date_range("2024") == DateRange(date(2024, 1, 1), date(2024, 12, 31))
    assert parse_date_range("..2023-02") == DateRange(None, date(2023, 2, 28))
    assert parse_date_range("2024-03-05..") == DateRange(date(2024, 3, 5), None)
    assert parse_date_range("2024-03..2024-01") == DateRange(date(2024, 1, 1), date(2024, 3, 31))
    assert parse_date_range("2024-02-30") is None
    assert parse_date_range("2024-13") is None and parse_date_range("0000") is None
    assert parse_date_range("yesterday") is None


def test_overly_broad_wildcard_degrades_to_words():
    parsed = parse_query("a* economy", SCHEMA)
    assert describe_query(parsed.text_query) == "economi"
    assert parsed.notes == ("the query syntax was unclear, so it was searched as plain words",)


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
