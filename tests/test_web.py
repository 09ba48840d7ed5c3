"""Every page and endpoint through Flask's test client: parameters, escaping, headers, JSON and feeds."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from index import IndexLocation, LiveIndex, SearchRequest, rebuild, search
from index.schema import url_key
from web import create_app

ATOM = "{http://www.w3.org/2005/Atom}"
SEED_KEY = url_key("000_454988fc12dd0efa.txt")


@pytest.fixture
def built(app, client):
    """Return a client of an app whose index holds the seed."""
    rebuild(app.extensions["archive"].location, app.config["SOURCES"])
    return client


@pytest.fixture(scope="module")
def bbc_client(bbc_index):
    """Return a client over the BBC News index."""
    return create_app({"TESTING": True, "INDEX_PATH": str(bbc_index.root)}).test_client()


def _schema(document: dict, name: str) -> Draft202012Validator:
    """Return a validator for one component schema of the OpenAPI document."""
    return Draft202012Validator({"$ref": f"#/components/schemas/{name}", "components": document["components"]})


def test_search_page_shows_highlighted_results(built):
    page = built.get("/?q=istanbul").get_data(as_text=True)
    assert "<mark>Istanbul</mark>" in page
    assert 'value="istanbul"' in page
    assert "1–1 of" in page and "<strong>1</strong> article" in page
    assert 'role="status"' in page
    assert f'href="/articles/{SEED_KEY}?q=istanbul' in page
    assert 'rel="search"' in page and "/opensearch.xml" in page


def test_empty_query_shows_newest_articles_and_facets(built):
    page = built.get("/").get_data(as_text=True)
    assert "Newest articles" in page
    assert "Russia, Ukraine Hold First Direct Talks" in page
    assert 'id="facet-category"' in page


def test_query_filter_is_read_and_shown_as_understood(built):
    page = built.get("/?q=istanbul+category:world").get_data(as_text=True)
    assert "Category:world was read as a filter" in page
    assert "Category: World" in page  # the chip
    assert "<strong>1</strong> article" in page


def test_facets_or_within_and_counts_ignore_own_selection(bbc_client):
    everything = bbc_client.get("/api/search?q=brown").get_json()
    counts = {v["value"]: v["count"] for v in everything["facets"][0]["values"]}
    both = bbc_client.get("/api/search?q=brown&category=politics&category=business").get_json()
    assert both["total"] == counts["politics"] + counts["business"]
    assert {v["value"]: v["count"] for v in both["facets"][0]["values"]} == counts
    selected = {v["value"] for v in both["facets"][0]["values"] if v["selected"]}
    assert selected == {"politics", "business"}


def test_selected_value_stays_visible_at_zero(bbc_client):
    data = bbc_client.get("/api/search?q=chancellor&category=nosuchcategory").get_json()
    assert data["total"] == 0
    values = {v["value"]: v for v in data["facets"][0]["values"]}
    assert values["nosuchcategory"]["count"] == 0 and values["nosuchcategory"]["selected"]


def test_pagination_is_exact_and_uncapped(bbc_client):
    first = bbc_client.get("/api/search?per_page=7").get_json()
    assert first["page_count"] == -(-first["total"] // 7)
    last = bbc_client.get(f"/api/search?per_page=7&page={first['page_count']}").get_json()
    assert len(last["hits"]) == first["total"] - 7 * (first["page_count"] - 1)
    page = bbc_client.get("/?page=2").get_data(as_text=True)
    assert 'rel="prev"' in page and 'rel="next"' in page and 'aria-current="page"' in page


def test_sort_newest_and_oldest_order_the_page_by_date(app, client):
    sources = Path(app.config["SOURCES"][0])
    for year in (2019, 2024, 2021):
        text = f"Title: Walrus report {year}\nDate: {year}-05-01\n\nThe walrus count of {year}, walrus by walrus."
        (sources / f"walrus-{year}.txt").write_text(text, encoding="utf-8")
    rebuild(app.extensions["archive"].location, app.config["SOURCES"])

    def years(sort: str) -> list[str]:
        page = client.get(f"/?q=walrus&sort={sort}").get_data(as_text=True)
        return re.findall(r"Walrus report (\d{4})</a>", page)

    assert years("newest") == ["2024", "2021", "2019"]
    assert years("oldest") == ["2019", "2021", "2024"]


@pytest.mark.parametrize(
    ("query_string", "status"),
    [("page=-1", 200), ("page=0", 200), ("per_page=1000000000", 200), ("page=99999999999", 200),
     ("page=abc", 400), ("per_page=1.5", 400), ("sort=bogus", 400), ("from=2024-13-01", 400), ("to=yesterday", 400),
     ("from=2025-01-01&to=2024-01-01", 200), ("q=" + "x" * 5000, 200), ("q=%00%01", 200), ("q=(((", 200),
     ("category=" + "c" * 5000, 200), ("q=date:2024-99..x", 200), ("to=9999", 200), ("from=9999-12-31", 200),
     ("q=date:9999", 200), ("q=-", 200), ("q=NOT+category:sport", 200)],
)
def test_bad_parameters_give_400_or_clamp_never_500(built, query_string, status):
    for path in ("/", "/api/search", "/search.atom"):
        response = built.get(f"{path}?{query_string}")
        assert response.status_code == status, (path, response.status_code)
        assert "Traceback" not in response.get_data(as_text=True)


def test_400_page_says_what_was_wrong(built):
    page = built.get("/?sort=bogus").get_data(as_text=True)
    assert "sort must be one of relevance, newest, oldest" in page
    assert built.get("/api/search?page=abc").get_json() == {"error": "page must be a whole number, not 'abc'.", "status": 400}


def test_clamped_values(built):
    data = built.get("/api/search?page=-5&per_page=1000000").get_json()
    assert data["page"] == 1 and data["per_page"] == 100


def test_zero_results_offer_suggestion_and_relaxed_queries(bbc_client):
    page = bbc_client.get("/?q=chancelor+budgett&category=sport").get_data(as_text=True)
    assert "No articles found for <strong>chancelor budgett</strong>" in page
    assert "Did you mean" in page and "chancellor budget" in page
    assert "Search without filters" in page
    assert "Show articles with some of the words" not in page  # they were already looked for


def test_article_page_marks_query_terms_and_shows_similar(bbc_client):
    key = bbc_client.get("/api/search?q=gordon+brown").get_json()["hits"][0]["key"]
    page = bbc_client.get(f"/articles/{key}?q=gordon+brown").get_data(as_text=True)
    assert "<mark>Gordon Brown</mark>" in page
    assert "More like this" in page
    assert len(re.findall(r'<li><a href="/articles/', page)) == 5


def test_unknown_article_is_a_404_page(built):
    response = built.get("/articles/doesnotexist")
    assert response.status_code == 404
    assert "There is no article with that address" in response.get_data(as_text=True)
    assert built.get("/api/articles/doesnotexist").status_code == 404
    assert built.get("/articles/../../etc/passwd").status_code == 404


def test_no_index_gives_a_503_that_says_how_to_build_one(client):
    response = client.get("/?q=x")
    assert response.status_code == 503
    assert "archive rebuild" in response.get_data(as_text=True)
    assert client.get("/api/search").status_code == 503


def test_security_headers(built):
    response = built.get("/")
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_user_text_is_escaped_and_javascript_urls_are_not_linked(app, tmp_path):
    sources = tmp_path / "hostile"
    sources.mkdir()
    (sources / "x.txt").write_text(
        "Title: <script>alert(1)</script> Hostile\nURL: javascript:alert(2)\nAuthor: <img src=x onerror=alert(3)>\n"
        "Category: <b>bad</b>\n\nBody with <script>alert(4)</script> inside and a zebra.",
        encoding="utf-8",
    )
    location = app.extensions["archive"].location
    rebuild(location, [sources])
    client = app.test_client()
    for path in ("/?q=zebra", "/?q=<script>zebra", "/"):
        page = client.get(path).get_data(as_text=True)
        assert "<script>alert" not in page and "<img src=x" not in page
        assert "&lt;script&gt;" in page
    key = client.get("/api/search?q=zebra").get_json()["hits"][0]["key"]
    article = client.get(f"/articles/{key}").get_data(as_text=True)
    assert "<script>alert" not in article and "javascript:" not in article
    feed = client.get("/search.atom?q=zebra").get_data(as_text=True)
    ElementTree.fromstring(feed)
    assert "<script>" not in feed


def test_json_and_page_agree(bbc_client):
    data = bbc_client.get("/api/search?q=election&category=politics&page=2").get_json()
    page = bbc_client.get("/?q=election&category=politics&page=2").get_data(as_text=True)
    assert f"<strong>{data['total']:,}</strong>" in page
    for hit in data["hits"]:
        assert f"/articles/{hit['key']}" in page
    for value in data["facets"][0]["values"]:
        assert f"{value['label']} ({value['count']})" in page


def test_openapi_document_is_valid_and_responses_match_it(bbc_client):
    document = bbc_client.get("/api/openapi.json").get_json()
    validate(document)
    search_schema = _schema(document, "SearchResult")
    for query_string in ("q=election", "", "q=zzzzqqq", "q=brown&category=politics&sort=newest&per_page=3&page=2", "predicted=exclude"):
        search_schema.validate(bbc_client.get(f"/api/search?{query_string}").get_json())
    key = bbc_client.get("/api/search?q=election").get_json()["hits"][0]["key"]
    _schema(document, "Article").validate(bbc_client.get(f"/api/articles/{key}?q=election").get_json())
    error = bbc_client.get("/api/search?sort=x")
    assert error.status_code == 400
    _schema(document, "Error").validate(error.get_json())
    declared = {p["name"] for p in document["paths"]["/api/search"]["get"]["parameters"]}
    assert declared == {"q", "category", "source", "language", "author", "year", "tag", "from", "to", "sort", "match", "page", "per_page",
                        "predicted"}
    assert bbc_client.get("/api/search?predicted=maybe").status_code == 400


def test_atom_feed_is_valid_and_newest_first(bbc_client):
    response = bbc_client.get("/search.atom?q=election")
    assert response.mimetype == "application/atom+xml"
    feed = ElementTree.fromstring(response.data)
    assert feed.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert feed.find(f"{ATOM}{required}") is not None
    entries = feed.findall(f"{ATOM}entry")
    assert entries
    for entry in entries:
        for required in ("id", "title", "updated", "link", "summary"):
            assert entry.find(f"{ATOM}{required}") is not None
    updated = [entry.find(f"{ATOM}updated").text for entry in entries]
    assert updated == sorted(updated, reverse=True)


def test_opensearch_and_suggestions(bbc_client):
    description = ElementTree.fromstring(bbc_client.get("/opensearch.xml").data)
    templates = [url.get("template") for url in description.findall("{http://a9.com/-/spec/opensearch/1.1/}Url")]
    assert any("/?q={searchTerms}" in template for template in templates)
    assert any("/suggest?q={searchTerms}" in template for template in templates)
    query, completions = bbc_client.get("/suggest?q=gordon+bro").get_json()
    assert query == "gordon bro"
    assert "gordon brown" in completions


def test_running_app_sees_a_rebuild_without_restart(app, tmp_path):
    location = app.extensions["archive"].location
    sources = tmp_path / "more"
    sources.mkdir()
    (sources / "a.txt").write_text("Walrus one\n\nA walrus.", encoding="utf-8")
    rebuild(location, [sources])
    client = app.test_client()
    assert client.get("/api/search?q=walrus").get_json()["total"] == 1
    (sources / "b.txt").write_text("Walrus two\n\nAnother walrus.", encoding="utf-8")
    rebuild(IndexLocation(location.root), [sources])
    assert client.get("/api/search?q=walrus").get_json()["total"] == 2


def test_results_with_only_some_of_the_words_say_so(bbc_client):
    page = bbc_client.get("/?q=chelsea+arsenal+zzqx").get_data(as_text=True)
    assert "No article holds every word: these hold some of them, those with the most words first." in page
    assert "Missing: <s>zzqx</s>" in page
    assert 'href="/?q=chelsea+arsenal+zzqx&amp;match=all"' in page
    data = bbc_client.get("/api/search?q=chelsea+arsenal+zzqx").get_json()
    assert data["every_word"] == 0 and data["total"] > 0 and "zzqx" in data["relaxed"]
    assert all("zzqx" in hit["missing"] for hit in data["hits"])


def test_the_all_words_switch_keeps_only_articles_with_every_word(bbc_client):
    best = bbc_client.get("/api/search?q=chelsea+arsenal").get_json()
    strict = bbc_client.get("/api/search?q=chelsea+arsenal&match=all").get_json()
    assert strict["match"] == "all" and strict["total"] == strict["every_word"] == best["every_word"] < best["total"]
    assert all(hit["missing"] == [] for hit in strict["hits"])
    page = bbc_client.get("/?q=chelsea+arsenal+zzqx&match=all").get_data(as_text=True)
    assert "No articles found" in page and "Show articles with some of the words" in page
    assert 'name="match" value="all" checked' in page
    assert bbc_client.get("/api/search?q=x&match=some").status_code == 400


def test_a_search_past_its_time_limit_answers_partially_and_says_so(bbc_index):
    from whoosh import query as wq

    from index.deadline import Deadline
    from index.matching import clause_documents

    snapshot = LiveIndex(bbc_index).snapshot()
    expensive = "elect* OR minist* OR govern* OR compan*"
    complete = search(snapshot, SearchRequest(query=expensive))
    assert not complete.partial and complete.total > 500
    for sort in ("relevance", "newest"):
        cut = search(snapshot, SearchRequest(query=expensive, sort=sort, time_limit=0.0))
        assert cut.partial and cut.total < complete.total

    # Out of time or not, what is excluded stays excluded.
    said_not_elect = wq.AndNot(wq.Term("body_en", "said"), wq.Prefix("body_en", "elect"))
    complete_exclusion = clause_documents(snapshot, said_not_elect, Deadline(float("inf")))
    assert complete_exclusion.any() and (clause_documents(snapshot, said_not_elect, Deadline(0.0)) == complete_exclusion).all()

    client = create_app({"TESTING": True, "INDEX_PATH": str(bbc_index.root), "SEARCH_TIME_LIMIT": 0.0}).test_client()
    page = client.get("/?q=elect*+OR+minist*").get_data(as_text=True)
    assert "These results are partial" in page
    assert client.get("/api/search?q=elect*+OR+minist*").get_json()["partial"] is True


def test_date_filtered_browsing_keeps_to_the_dates_in_every_sort(tmp_path):
    from datetime import date

    sources = tmp_path / "sources"
    sources.mkdir()
    years = (1999, 2005, 2020)
    records = [json.dumps({"title": f"Report {year}", "body": f"News of {year}.", "published": f"{year}-06-01"}) for year in years]
    (sources / "dated.jsonl").write_text("\n".join(records) + "\n", encoding="utf-8")
    location = IndexLocation(tmp_path / "index")
    rebuild(location, [sources])
    snapshot = LiveIndex(location).snapshot()
    for sort in ("relevance", "newest", "oldest"):
        result = search(snapshot, SearchRequest(query="", date_to=date(2000, 12, 31), sort=sort))
        assert [hit.title for hit in result.hits] == ["Report 1999"], sort
