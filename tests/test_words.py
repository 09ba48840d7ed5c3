"""Words in angle brackets and words joined by dots are found; a hit whose body lacks the words shows why."""

from __future__ import annotations

import json
import re

import pytest

from index import IndexLocation, LiveIndex, SearchRequest, rebuild, search
from index.analysis import TOKEN_PATTERN
from index.highlight import analyzed, best_passage
from web import create_app

TICKER_TEXT = "DESIGNS INC <DESI.O> INITIAL OFFERING\n\nDesigns Inc <DESI.O> said its offering of shares is under way.\n"
TICKER_RECORD = {
    "id": "reut-1",
    "title": "ESSELTE AB <ESB.ST> 1986 RESULTS",
    "body": "Esselte AB <ESB.ST> said results rose. Shares of <QNTM.O> and www.example.co.uk were unchanged.",
}


@pytest.fixture(scope="module")
def ticker_index(tmp_path_factory) -> IndexLocation:
    """Return an index of one plain-text and one JSON Lines article with Reuters tickers in angle brackets."""
    folder = tmp_path_factory.mktemp("tickers")
    sources = folder / "sources"
    sources.mkdir()
    (sources / "designs.txt").write_text(TICKER_TEXT, encoding="utf-8")
    (sources / "esselte.jsonl").write_text(json.dumps(TICKER_RECORD) + "\n", encoding="utf-8")
    location = IndexLocation(folder / "index")
    assert rebuild(location, [sources]).indexed == 2
    return location


def test_longer_words_joined_by_dots_are_words_but_numbers_and_initials_stay_whole():
    assert re.findall(TOKEN_PATTERN, "<DESI.O> <ESB.ST> bbc.co.uk U.S. e.g. 3.5 1.234.5") == [
        "DESI", "O", "ESB", "ST", "bbc", "co", "uk", "U.S", "e.g", "3.5", "1.234.5"
    ]


@pytest.mark.parametrize("query", ["desi", "DESI.O", "<DESI.O>", "esb", "ESB.ST", "qntm", "example"])
def test_tickers_in_angle_brackets_are_found_in_plain_text_and_json_lines(ticker_index, query):
    result = search(LiveIndex(ticker_index).snapshot(), SearchRequest(query=query, match="all"))
    assert result.total == 1, query


def test_a_ticker_is_marked_in_the_snippet(ticker_index):
    result = search(LiveIndex(ticker_index).snapshot(), SearchRequest(query="esb"))
    snippet = result.hits[0].snippet
    assert [snippet.text[start:end] for start, end in snippet.spans] == ["ESB"]
    assert not result.hits[0].title_only


def test_a_ticker_word_is_in_the_spelling_vocabulary(ticker_index):
    assert search(LiveIndex(ticker_index).snapshot(), SearchRequest(query="qntm")).suggestion is None


def test_the_body_passage_holding_a_matched_word_is_shown():
    body = "Nothing here at first. " * 20 + "Then the walrus spoke."
    passage = best_passage("A title", (body, ""), frozenset({analyzed("walrus")}))
    assert passage.marked is not None and "walrus" in passage.marked.text and passage.marked.spans
    assert not passage.title_only


def test_the_summary_passage_is_shown_when_only_it_holds_the_word():
    passage = best_passage("A title", ("A body about seals.", "A summary about the walrus."), frozenset({analyzed("walrus")}))
    assert passage.marked is not None
    assert [passage.marked.text[start:end] for start, end in passage.marked.spans] == ["walrus"]


def test_a_hit_whose_title_alone_holds_the_words_says_so():
    passage = best_passage("The Walrus Speaks", ("A body about seals.", ""), frozenset({analyzed("walrus")}))
    assert passage.marked is None and passage.title_only
    neither = best_passage("Seals", ("A body about seals.", ""), frozenset({analyzed("walrus")}))
    assert neither.marked is None and not neither.title_only


def test_the_page_and_the_api_say_when_only_the_title_holds_the_words(ticker_index):
    client = create_app({"TESTING": True, "INDEX_PATH": str(ticker_index.root)}).test_client()
    # "initial" is only in the plain-text article's title; "offering" is in its body too.
    page = client.get("/?q=initial").get_data(as_text=True)
    assert "Only the title holds the words searched for." in page
    assert client.get("/api/search?q=initial").get_json()["hits"][0]["title_only"] is True
    assert "Only the title holds" not in client.get("/?q=offering").get_data(as_text=True)
    assert client.get("/api/search?q=offering").get_json()["hits"][0]["title_only"] is False
