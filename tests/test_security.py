"""Hostile input through Flask's test client: payloads stay inert, traversal is refused, headers and errors are safe.

A corpus of XSS payloads in every field and every input format (tests/hostile.py) is indexed once;
every page that shows those fields is parsed as a browser would (html5lib) and must hold no live
markup. The detector itself is proven on deliberately unsafe pages first. tests/test_browser_security.py
checks the same pages in Chromium.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from dataclasses import replace
from urllib.parse import urlsplit

import html5lib
import pytest
from markupsafe import Markup

import web.presenting
import web.serving
from index.storage import IndexLocation
from index.writing import rebuild
from tests.hostile import (
    ARTICLES,
    IFRAME,
    IMG,
    LINKED_URL,
    PAYLOADS,
    SCRIPT,
    SCRIPT_URLS,
    TEMPLATE,
    HOSTILE_QUERIES,
    TITLE_BREAK,
    TRAVERSAL_ROUTES,
    TRAVERSALS,
    WORD,
    assert_no_file_leaked,
    is_script_url,
    live_markup,
    write_corpus,
)
from web import create_app
from web.cli import main

ATOM = "{http://www.w3.org/2005/Atom}"


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_index(tmp_path_factory) -> IndexLocation:
    """Return an index of the hostile corpus, built once for the module (do not write to it)."""
    root = tmp_path_factory.mktemp("hostile")
    location = IndexLocation(root / "index")
    summary = rebuild(location, [write_corpus(root / "sources")])
    assert summary.documents_in_index == ARTICLES, summary
    return location


@pytest.fixture(scope="module")
def hostile(hostile_index):
    """Return a test client over the hostile index."""
    return create_app({"TESTING": True, "INDEX_PATH": str(hostile_index.root)}).test_client()


@pytest.fixture(scope="module")
def keys(hostile) -> list[str]:
    """Return the keys of every hostile article."""
    hits = hostile.get("/api/search", query_string={"q": WORD, "per_page": 50}).get_json()["hits"]
    assert len(hits) == ARTICLES
    return [hit["key"] for hit in hits]


def _parse(page: str):
    """Return an HTML page parsed as a browser would."""
    return html5lib.parse(page, treebuilder="etree", namespaceHTMLElements=False)


def _text(page: str) -> str:
    """Return the text of an HTML page, entities decoded."""
    return " ".join(" ".join(_parse(page).itertext()).split())


# --- the detector fires on unsafe pages ----------------------------------------------------------


@pytest.mark.parametrize("payload", [p for p in PAYLOADS if p != TEMPLATE])
def test_detector_flags_each_payload_left_unescaped(payload):
    """Each payload, written raw into text or into a quoted attribute, is caught."""
    page = f"""<!doctype html><title>x</title><p>{payload}</p><input value='{payload}'><input value="{payload}">"""
    assert live_markup(page)


@pytest.mark.parametrize("url", SCRIPT_URLS)
def test_detector_flags_script_urls_in_links(url):
    assert live_markup(f'<!doctype html><a href="{url}">x</a><img src="{url}">')


def test_detector_accepts_the_apps_own_script_only():
    assert live_markup('<!doctype html><script src="/static/app.js"></script>') == []
    assert live_markup('<!doctype html><script src="/static/other.js"></script>')
    assert live_markup('<!doctype html><script src="/static/app.js">window.__xss=1</script>')


def test_detector_flags_markup_injected_into_a_real_page(hostile, keys, monkeypatch):
    """The article page with its text wrongly trusted as Markup: the same check that passes below must fail."""
    monkeypatch.setattr(web.presenting, "render_marked", lambda marked: Markup(marked.text))
    assert live_markup(hostile.get(f"/articles/{keys[0]}").get_data(as_text=True))


# --- pages hold no live markup -------------------------------------------------------------------


@pytest.mark.parametrize("arguments", HOSTILE_QUERIES, ids=range(len(HOSTILE_QUERIES)))
def test_search_pages_keep_payloads_inert(hostile, arguments):
    response = hostile.get("/", query_string=arguments)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert live_markup(page) == []


def test_hostile_searches_reach_every_part_of_the_page(hostile):
    """The searches above show chips, "searched for", "did you mean", relaxed searches, facets and hits."""
    pages = "".join(hostile.get("/", query_string=arguments).get_data(as_text=True) for arguments in HOSTILE_QUERIES)
    for part in ('class="chips"', 'class="understood"', 'class="suggestion"', 'class="alternatives"', 'class="facet"', 'class="hit"'):
        assert part in pages, part


def test_search_page_shows_payloads_as_text(hostile):
    page = hostile.get("/", query_string={"q": WORD, "source": TITLE_BREAK, "tag": TEMPLATE}).get_data(as_text=True)
    text = _text(page)
    assert f"Source: {TITLE_BREAK}" in text  # the chip
    assert f"Tag: {TEMPLATE}" in text
    assert "record 0 {{7*7}}" in text  # a hit's title
    assert IMG in text  # an author, in the hit and in the facet


def test_article_pages_keep_payloads_inert(hostile, keys):
    originals = []
    for key in keys:
        for arguments in ({}, {"q": f"{WORD} {SCRIPT}", "back": f"/?q={SCRIPT}"}, {"back": "javascript:window.__xss=7"}):
            response = hostile.get(f"/articles/{key}", query_string=arguments)
            assert response.status_code == 200
            page = response.get_data(as_text=True)
            assert live_markup(page) == [], (key, arguments)
            linked = [a.get("href") for a in _links(page) if a.get("rel") == "noopener noreferrer nofollow"]
            assert linked in ([], [LINKED_URL]), "only an http(s) URL may be the original's link"
            originals += linked
    assert originals == [LINKED_URL] * 3  # the one http(s) URL is linked, intact, on each visit


def test_article_page_shows_payloads_as_text(hostile, keys):
    texts = [_text(hostile.get(f"/articles/{key}").get_data(as_text=True)) for key in keys]
    assert any(f"{SCRIPT} {IMG} record 0 {TEMPLATE}" in text for text in texts)
    assert all(IFRAME in text or IMG in text for text in texts)


def test_a_stored_script_url_is_never_linked(hostile, keys, monkeypatch):
    """Even an index holding a javascript: URL (the parsers drop them) must not link it."""
    backend = hostile.application.extensions["archive"]
    real = backend.article
    for url in SCRIPT_URLS:
        monkeypatch.setattr(backend, "article", lambda *a, url=url: _with_url(real(*a), url))
        page = hostile.get(f"/articles/{keys[0]}").get_data(as_text=True)
        assert live_markup(page) == []
        assert "Original" not in _text(page)


def _with_url(page, url: str):
    """Return an article page whose article has another URL."""
    return replace(page, article=replace(page.article, url=url))


def test_parsers_drop_script_urls(hostile, keys):
    urls = [hostile.get(f"/api/articles/{key}").get_json()["url"] for key in keys]
    assert sorted(urls) == [""] * (ARTICLES - 1) + [LINKED_URL]


def _links(page: str) -> list:
    """Return the <a> elements of an HTML page."""
    return _parse(page).findall(".//a")


def test_atom_feed_keeps_payloads_inert(hostile):
    for query in (WORD, f"{WORD} {SCRIPT}", f"{WORD} {TITLE_BREAK}"):
        response = hostile.get("/search.atom", query_string={"q": query})
        assert response.mimetype == "application/atom+xml"
        feed = ElementTree.fromstring(response.data)
        assert all(element.tag.startswith(ATOM) for element in feed.iter()), "an element outside Atom was injected"
        assert not any(is_script_url(link.get("href", "")) for link in feed.iter(f"{ATOM}link"))
        summaries = [summary.text or "" for summary in feed.iter(f"{ATOM}summary")]
        assert len(summaries) == ARTICLES
        for summary in summaries:  # type="html": a feed reader renders this text as HTML
            assert live_markup(summary) == [], summary
        assert feed.find(f"{ATOM}title").text == f"News archive: {query}"


def test_json_answers_are_json_with_the_payloads_as_data(hostile, keys):
    search = hostile.get("/api/search", query_string={"q": f"{WORD} {SCRIPT}"})
    assert search.mimetype == "application/json" and search.headers["X-Content-Type-Options"] == "nosniff"
    assert search.get_json()["total"] == ARTICLES
    titles = set()
    for key in keys:
        article = hostile.get(f"/api/articles/{key}")
        assert article.mimetype == "application/json"
        titles.add(article.get_json()["title"])
        for paragraph in article.get_json()["marked_paragraphs"]:
            assert live_markup(paragraph) == []  # HTML a client may insert as it is
    assert f"{SCRIPT} {IMG} record 0 {TEMPLATE}" in titles
    suggest = hostile.get("/suggest", query_string={"q": f"{SCRIPT} zeb"})
    assert suggest.mimetype == "application/x-suggestions+json"
    assert suggest.get_json()[0] == f"{SCRIPT} zeb"


def test_hostile_host_header_does_not_reach_the_xml(hostile):
    for path in ("/opensearch.xml", f"/search.atom?q={WORD}"):
        response = hostile.get(path, headers={"Host": 'evil.example"><script>window.__xss=1</script>'})
        assert b"<script" not in response.data
        ElementTree.fromstring(response.data)


# --- path traversal ------------------------------------------------------------------------------


@pytest.mark.parametrize("route", TRAVERSAL_ROUTES)
@pytest.mark.parametrize("attack", TRAVERSALS)
def test_traversal_is_refused(hostile, route, attack):
    response = hostile.get(route + attack)
    if response.status_code == 308:  # "//" merged into "/": the target must stay under the route, and be refused
        assert urlsplit(response.location).path.startswith(route), response.location
        response = hostile.get(response.location)
    assert response.status_code in (400, 404)
    assert_no_file_leaked(response.data)


def test_static_files_are_still_served(hostile):
    response = hostile.get("/static/app.js")
    assert response.status_code == 200 and b"addEventListener" in response.data


# --- headers and errors --------------------------------------------------------------------------


@pytest.fixture
def unbuilt():
    """Return a client of an app with no index."""
    return create_app({"TESTING": True, "INDEX_PATH": "/nonexistent/archive-index"}).test_client()


RESPONSES = {
    "page": ("GET", "/?q=zebra", 200),
    "article": ("GET", "/articles/{key}", 200),
    "api": ("GET", "/api/search?q=zebra", 200),
    "api article": ("GET", "/api/articles/{key}", 200),
    "openapi": ("GET", "/api/openapi.json", 200),
    "atom": ("GET", "/search.atom?q=zebra", 200),
    "opensearch": ("GET", "/opensearch.xml", 200),
    "suggest": ("GET", "/suggest?q=zeb", 200),
    "static": ("GET", "/static/style.css", 200),
    "404": ("GET", "/no/such/page", 404),
    "api 404": ("GET", "/api/articles/nosuchkey", 404),
    "400": ("GET", "/?sort=sideways", 400),
    "api 400": ("GET", "/api/search?page=x", 400),
    "405": ("POST", "/", 405),
    "api 405": ("DELETE", "/api/search", 405),
    "doubled slash": ("GET", "/static//style.css", 404),
}


@pytest.mark.parametrize("kind", RESPONSES)
def test_every_kind_of_response_carries_the_security_headers(hostile, keys, kind):
    method, path, status = RESPONSES[kind]
    response = hostile.open(path.format(key=keys[0]), method=method)
    assert response.status_code == status
    _assert_security_headers(response)


def test_503_without_an_index_carries_the_headers_and_no_path(unbuilt):
    for path in ("/", "/api/search", "/articles/x", "/search.atom"):
        response = unbuilt.get(path)
        assert response.status_code == 503
        _assert_security_headers(response)
        assert "/nonexistent" not in response.get_data(as_text=True), "the page shows where the server keeps its files"


def _assert_security_headers(response) -> None:
    """Assert a strict Content-Security-Policy and the other protective headers."""
    policy = _directives(response.headers["Content-Security-Policy"])
    assert policy["default-src"] == ["'none'"]
    scripts = policy.get("script-src", policy["default-src"])
    assert not {"'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:", "https:"} & set(scripts), scripts
    assert "object-src" not in policy or policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] in ("same-origin", "no-referrer", "strict-origin-when-cross-origin")


def _directives(policy: str) -> dict[str, list[str]]:
    """Return a Content-Security-Policy as directive -> sources."""
    parts = (directive.split() for directive in policy.split(";") if directive.strip())
    return {name: sources for name, *sources in parts}


SECRET = "secret detail at /srv/archive/private.py line 12"


@pytest.mark.parametrize("testing", [False, True])
def test_unexpected_errors_show_no_traceback(hostile_index, monkeypatch, testing):
    def broken(*arguments, **options):
        raise RuntimeError(SECRET)

    app = create_app({"TESTING": testing, "PROPAGATE_EXCEPTIONS": False, "INDEX_PATH": str(hostile_index.root)})
    monkeypatch.setattr(app.extensions["archive"], "search", broken)
    client = app.test_client()
    page = client.get("/?q=zebra")
    api = client.get("/api/search?q=zebra")
    assert page.status_code == 500 and api.status_code == 500
    assert page.mimetype == "text/html" and api.get_json() == {"error": api.get_json()["error"], "status": 500}
    for response in (page, api):
        body = response.get_data(as_text=True)
        assert "Traceback" not in body and "RuntimeError" not in body and SECRET not in body
        assert ".py" not in body and "/srv/" not in body
        _assert_security_headers(response)
    assert live_markup(page.get_data(as_text=True)) == []


# --- the address the server listens on -----------------------------------------------------------


@pytest.fixture
def listened(monkeypatch, hostile_index) -> list[str]:
    """Return the hosts `archive serve` asks its server to listen on (run through the real console script)."""
    hosts: list[str] = []

    def serve(app, options, announce):
        hosts.append(options.host)
        raise KeyboardInterrupt  # as Ctrl-C would stop it

    monkeypatch.setattr(web.serving, "serve", serve)
    monkeypatch.setenv("ARCHIVE_INDEX", str(hostile_index.root))
    return hosts


def _serve(monkeypatch, *arguments: str) -> None:
    """Run `archive serve` with arguments in this process (port 0: no port is checked for being free)."""
    monkeypatch.setattr("sys.argv", ["archive", "serve", "--port", "0", *arguments])
    with pytest.raises(SystemExit) as exit_:
        main()
    assert exit_.value.code in (0, None)


def test_serve_listens_on_the_loopback_by_default(listened, monkeypatch):
    _serve(monkeypatch)
    assert listened == ["127.0.0.1"]


def test_serve_listens_everywhere_only_when_told(listened, monkeypatch):
    _serve(monkeypatch, "--host", "0.0.0.0")
    assert listened == ["0.0.0.0"]


def test_no_environment_variable_widens_the_address(listened, monkeypatch):
    """Flask's command line reads FLASK_<COMMAND>_<OPTION>: the address must come from --host only."""
    monkeypatch.setenv("FLASK_SERVE_HOST", "0.0.0.0")
    monkeypatch.setenv("FLASK_RUN_HOST", "0.0.0.0")
    _serve(monkeypatch)
    assert listened == ["127.0.0.1"]
