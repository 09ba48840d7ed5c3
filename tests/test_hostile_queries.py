"""Generated hostile queries: search and the HTTP endpoints never raise, never 5xx, always answer well-formed."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index.searching import SearchRequest, search
from index.snapshot import LiveIndex
from index.storage import IndexLocation
from index.writing import rebuild
from tests.conftest import SEEDS
from web import create_app

SYNTAX = ['"', "(", ")", "*", "?", "-", "+", ":", "^", "~", "[", "]", "{", "}", "\\", "/", "OR", "AND", "NOT", "TO", ".."]
FIELDS = ["category", "source", "author", "tag", "year", "date", "lang", "title", "body", "nosuchfield", ""]
WORDS = ["istanbul", "peace", "talks", "russia", "war", "trump", "the", "a", "ukraine", "2024", "2024-01", "9999", "0000"]

tokens = st.one_of(
    st.sampled_from(SYNTAX),
    st.sampled_from(WORDS),
    st.builds(lambda field, value: f"{field}:{value}", st.sampled_from(FIELDS), st.sampled_from(WORDS + ['"x y"', "", "2024..2023"])),
    st.text(min_size=1, max_size=12),
)
queries = st.one_of(
    st.lists(tokens, max_size=12).map(" ".join),
    st.text(max_size=200),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=900, max_size=1200),
)


@pytest.fixture(scope="module")
def seed_location(tmp_path_factory) -> IndexLocation:
    location = IndexLocation(tmp_path_factory.mktemp("hostile") / "index")
    rebuild(location, [SEEDS])
    return location


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=queries, page=st.integers(-5, 10**12), per_page=st.integers(-5, 10**6), sort=st.sampled_from(["relevance", "newest", "oldest", "x"]))
def test_search_never_raises(seed_location, text, page, per_page, sort):
    result = search(LiveIndex(seed_location).snapshot(), SearchRequest(query=text, page=page, per_page=per_page, sort=sort))
    assert result.total >= 0 and 1 <= result.page <= result.page_count
    assert len(result.hits) <= result.per_page


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=queries, extra=st.dictionaries(st.sampled_from(["page", "per_page", "sort", "from", "to", "category", "tag"]), st.text(max_size=30), max_size=3))
def test_http_endpoints_never_fail(seed_location, text, extra):
    client = create_app({"TESTING": True, "INDEX_PATH": str(seed_location.root)}).test_client()
    arguments = {"q": text, **extra}
    page = client.get("/", query_string=arguments)
    assert page.status_code in (200, 400) and "Traceback" not in page.get_data(as_text=True)
    api = client.get("/api/search", query_string=arguments)
    assert api.status_code in (200, 400)
    json.loads(api.get_data(as_text=True))
    feed = client.get("/search.atom", query_string=arguments)
    assert feed.status_code in (200, 400)
    if feed.status_code == 200:
        ElementTree.fromstring(feed.data)
    suggestions = client.get("/suggest", query_string={"q": text})
    assert suggestions.status_code == 200 and isinstance(json.loads(suggestions.data)[1], list)
