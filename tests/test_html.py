"""Tests for archive.html: unit tests on hand-written pages, then match rates on saved real news pages."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import lxml.html
import pytest
from bs4 import BeautifulSoup

import archive.html as html_module
from archive.bylines import split_names
from archive.dates import date_in_url, parse_date
from archive.html import parse_html, word_count
from archive.model import ParseError
from tests.conftest import shared_data
from tests.news_pages import (
    byline_matches,
    dates_match,
    first_paragraph,
    normalized,
    page_cases,
    primary_language,
    titles_match,
)


FILLER = [
    "The city council voted on Tuesday to expand the riverside park by twelve acres after a long public debate.",
    "Residents who spoke at the meeting said the new land would give children a safe place to play near the water.",
    "Opponents argued that the money should instead repair roads, but the measure passed by a wide margin of votes.",
    "Construction is expected to begin next spring, and the first paths should open to walkers before the autumn.",
]


def page(head: str = "", body: str = "", *, lang: str = "en") -> str:
    """Return a complete HTML document with the given head markup and an article of filler paragraphs."""
    article = "<article>" + "".join(f"<p>{p}</p>" for p in FILLER) + "</article>"
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">{head}</head>'
        f"<body><nav><a href='/'>Home</a></nav>{body}{article}<footer>Contact</footer></body></html>"
    )


def parse(document: str | bytes, **kwargs):
    """Parse an HTML string or bytes with a default relative path."""
    data = document.encode("utf-8") if isinstance(document, str) else document
    return parse_html(data, relative_path=kwargs.pop("relative_path", "page.html"), **kwargs)


def json_ld(value: object) -> str:
    """Return a JSON-LD script element holding a value."""
    return f'<script type="application/ld+json">{json.dumps(value)}</script>'


# --- title -----------------------------------------------------------------------------------

LD_TITLE = json_ld({"@type": "NewsArticle", "headline": "From JSON-LD"})
OG_TITLE = '<meta property="og:title" content="From og">'
H1 = "<h1>From h1</h1>"
TITLE = "<title>From title</title>"


@pytest.mark.parametrize(
    ("head", "body", "expected"),
    [
        (LD_TITLE + OG_TITLE + TITLE, H1, "From JSON-LD"),
        (OG_TITLE + TITLE, H1, "From og"),
        ("<title>From h1 | Example</title>", H1, "From h1"),
        (TITLE, "", "From title"),
        ("", H1, "From h1"),
    ],
)
def test_title_precedence(head, body, expected):
    assert parse(page(head, body)).title == expected


def test_title_prefers_title_over_banner_h1():
    article = parse(page("<title>Babies Who Eat Peanuts Early</title>", "<h1>Allergies Health Center</h1>"))
    assert article.title == "Babies Who Eat Peanuts Early"


def test_title_keeps_the_h1_the_title_repeats():
    body = "<h1>Good Morning America</h1><h1>Veteran Wraps Baby</h1>"
    assert parse(page("<title>Veteran Wraps Baby - Yahoo</title>", body)).title == "Veteran Wraps Baby"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Storm hits coast - Example News", "Storm hits coast"),
        ("Example News | Storm hits coast", "Storm hits coast"),
        ("Storm hits coast - example.com", "Storm hits coast"),
        ("Storm hits coast - mayor reacts", "Storm hits coast - mayor reacts"),
    ],
)
def test_title_site_name_affix_is_removed(raw, expected):
    head = f'<meta property="og:title" content="{raw}"><meta property="og:site_name" content="Example News">'
    assert parse(page(head), url="https://www.example.com/world/storm").title == expected


@pytest.mark.parametrize(
    ("raw", "url", "expected"),
    [
        ("Storm hits coast | Aktuálně.cz", "https://sport.aktualne.cz/a/1", "Storm hits coast"),  # registered domain
        ("Storm hits coast [LWN.net]", "https://lwn.net/Articles/1/", "Storm hits coast"),
        ("Storm hits coast - The Example Times", "", "Storm hits coast"),  # og:site_name, give or take 'The'
        ("Example Times | Storm hits coast", "", "Storm hits coast"),
        ("Storm hits coast | Weather", "", "Storm hits coast | Weather"),  # a section, not the site
        ("Storm hits coast - Example", "", "Storm hits coast - Example"),  # only a word the site's name starts with
        ("Exam: Storm hits coast", "", "Exam: Storm hits coast"),
    ],
)
def test_title_loses_only_the_sites_own_name(raw, url, expected):
    head = f"<title>{raw}</title><meta property='og:site_name' content='Example Times'>"
    assert parse(page(head), url=url).title == expected


def test_json_ld_headline_is_kept_exact():
    head = json_ld({"@type": "NewsArticle", "headline": "Brexit: what happens next - explained"}) + "<title>Other</title>"
    assert parse(page(head)).title == "Brexit: what happens next - explained"


# --- JSON-LD ---------------------------------------------------------------------------------


def test_json_ld_graph_with_author_references():
    graph = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebPage", "@id": "https://ex.com/a#page", "name": "Page"},
            {
                "@type": ["NewsArticle"],
                "headline": "Graph headline",
                "datePublished": "2023-05-05T23:00:57+00:00",
                "author": [{"@id": "https://ex.com/#p1"}, {"@id": "https://ex.com/#p2"}],
                "articleSection": ["Social", "Tech"],
                "keywords": ["Facebook", "malware"],
                "publisher": {"@type": "Organization", "name": "Graph Times"},
            },
            {"@type": "Person", "@id": "https://ex.com/#p1", "name": "Taylor Hatmaker"},
            {"@type": ["Person", "Organization"], "@id": "https://ex.com/#p2", "name": "Sam Doe"},
        ],
    }
    article = parse(page(json_ld(graph)))
    assert article.title == "Graph headline"
    assert article.authors == ("Taylor Hatmaker", "Sam Doe")
    assert article.published == datetime(2023, 5, 5, 23, 0, 57, tzinfo=timezone.utc)
    assert (article.category, article.category_origin) == ("tech", "section")  # "Social" names no category
    assert article.tags == ("facebook", "malware")
    assert article.source == "Graph Times"


def test_json_ld_top_level_list_and_author_forms():
    nodes = [
        {"@type": "Organization", "name": "Org"},
        {"@type": "BlogPosting", "headline": "Listed", "author": "By Ann Lee and Bob Ray"},
    ]
    article = parse(page(json_ld(nodes)))
    assert (article.title, article.authors) == ("Listed", ("Ann Lee", "Bob Ray"))


def test_json_ld_with_trailing_commas_is_repaired():
    script = '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Lenient",}</script>'
    assert parse(page(script + OG_TITLE)).title == "Lenient"


@pytest.mark.parametrize(
    "wrapped",
    [
        "<![CDATA[ {data} ]]>",
        "//<![CDATA[\n{data}\n//]]>",
        "/*<![CDATA[*/ {data} /*]]>*/",
        "<!-- {data} -->",
        "<!--//--><![CDATA[//><!-- \n{data}\n//--><!]]>",
    ],
)
def test_json_ld_inside_cdata_or_comment_markers_is_read(wrapped):
    data = json.dumps({"@type": "NewsArticle", "headline": "Wrapped", "datePublished": "2015-03-18T09:00:00Z",
                       "author": {"@type": "Person", "name": "Jane Doe"}})
    script = f'<script type="application/ld+json">{wrapped.format(data=data)}</script>'
    article = parse(page(script))
    assert (article.title, article.authors) == ("Wrapped", ("Jane Doe",))
    assert article.published == datetime(2015, 3, 18, 9, tzinfo=timezone.utc)


@pytest.mark.parametrize("broken", ["{\"@type\": \"NewsArticle\", \"headline\": ", "not json at all", "", "[[[[", "null"])
def test_broken_json_ld_is_skipped(broken):
    script = f'<script type="application/ld+json">{broken}</script>'
    assert parse(page(script + OG_TITLE)).title == "From og"


# --- encoding --------------------------------------------------------------------------------


def test_lying_meta_charset_does_not_break_valid_utf8():
    document = page("<title>Café crème</title>").replace('<meta charset="utf-8">', '<meta charset="iso-8859-1">')
    assert parse(document.encode("utf-8")).title == "Café crème"


def test_cp1252_bytes_without_declaration():
    document = page("<title>Café’s menu</title>").replace('<meta charset="utf-8">', "")
    assert parse(document.encode("cp1252")).title == "Café’s menu"


def test_declared_legacy_charset_is_used_for_non_utf8_bytes():
    head = '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-2"><title>Součka</title>'
    document = page(head).replace('<meta charset="utf-8">', "")
    assert parse(document.encode("iso-8859-2")).title == "Součka"


# --- authors ---------------------------------------------------------------------------------


def test_url_valued_author_meta_is_ignored():
    head = (
        '<meta property="article:author" content="https://www.facebook.com/someone">'
        '<meta name="author" content="example.com"><title>T</title>'
    )
    assert parse(page(head)).authors == ()


def test_url_author_meta_falls_back_to_byline_markup():
    head = '<meta property="article:author" content="https://www.facebook.com/someone"><title>T</title>'
    body = '<p class="byline">By Erin Cunningham March 18, 2015 3:46 PM</p>'
    assert parse(page(head, body)).authors == ("Erin Cunningham",)


@pytest.mark.parametrize(
    ("byline", "expected"),
    [
        ("By Jane Doe", ["Jane Doe"]),
        ("Jane Doe and John Roe", ["Jane Doe", "John Roe"]),
        ("By Jane Doe, John Roe & Ann Lee", ["Jane Doe", "John Roe", "Ann Lee"]),
        ("By Brenda Goodman, MA", ["Brenda Goodman"]),
        ("by Lucas Nolan22 Dec 2016651", ["Lucas Nolan"]),
        ("by Ahiza Garcia @ahiza_garcia February 1, 2016", ["Ahiza Garcia"]),
        ("Par Sébastien Farcis", ["Sébastien Farcis"]),
        ("肖春芳", ["肖春芳"]),
    ],
)
def test_split_names(byline, expected):
    assert split_names(byline) == expected


@pytest.mark.parametrize(
    ("byline", "expected"),
    [
        ("Martin Untersinger (avec Damien Leloup et Morgane Tual)", ["Martin Untersinger", "Damien Leloup", "Morgane Tual"]),
        ("Par Jean Dupont et Marie Curie", ["Jean Dupont", "Marie Curie"]),
        ("Por Ana García y Juan Pérez", ["Ana García", "Juan Pérez"]),
        ("Ana García con Juan Pérez", ["Ana García", "Juan Pérez"]),
        ("Por João Silva e Maria Souza, com Pedro Alves", ["João Silva", "Maria Souza", "Pedro Alves"]),
        ("Von Hans Müller und Eva Schmidt", ["Hans Müller", "Eva Schmidt"]),
        ("Hans Müller mit Eva Schmidt", ["Hans Müller", "Eva Schmidt"]),
        ("By Jane Doe with John Roe", ["Jane Doe", "John Roe"]),
        ("By Jane Doe with additional reporting by John Roe", ["Jane Doe", "John Roe"]),
        ("By Jane Doe, Staff Writer", ["Jane Doe"]),
        ("Staff Reporter Jane Doe", ["Jane Doe"]),
        ("Jane Doe & John Roe, Reporters", ["Jane Doe", "John Roe"]),
        ("By JEFFREY GETTLEMAN and JANE DOE", ["Jeffrey Gettleman", "Jane Doe"]),
        ("John E Smith and Y. Tanaka", ["John E Smith", "Y. Tanaka"]),  # initials are not 'e' or 'y'
        ("Jane Doe with the Associated Press", ["Jane Doe"]),
        ("Staff", []),
    ],
)
def test_split_names_in_five_languages_without_roles(byline, expected):
    assert split_names(byline) == expected


def test_byline_markup_is_split_into_names():
    body = '<p class="byline">Martin Untersinger (avec Damien Leloup et Morgane Tual)</p>'
    assert parse(page("<title>T</title>", body)).authors == ("Martin Untersinger", "Damien Leloup", "Morgane Tual")


def test_nyt_byl_meta_is_an_author():
    assert parse(page('<meta name="byl" content="By JEFFREY GETTLEMAN"><title>T</title>')).authors == ("Jeffrey Gettleman",)


def test_byline_markup_is_not_searched_when_structured_data_names_the_author(monkeypatch):
    def fail(*args):
        raise AssertionError("the byline markup was searched")

    monkeypatch.setattr(html_module, "marked_texts", fail)
    head = json_ld({"@type": "NewsArticle", "author": {"name": "Jane Doe"}}) + "<title>T</title>"
    assert parse(page(head, '<p class="byline">By Other Person</p>')).authors == ("Jane Doe",)
    assert parse(page('<meta name="author" content="Meta Person"><title>T</title>')).authors == ("Meta Person",)


def test_meta_author_beats_byline_markup():
    head = '<meta name="author" content="Meta Person"><title>T</title>'
    assert parse(page(head, '<span class="byline">By Other Person</span>')).authors == ("Meta Person",)


# --- dates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2021-11-01T10:52:50+0100", datetime(2021, 11, 1, 9, 52, 50, tzinfo=timezone.utc)),
        ("2015-04-30T07:19:58", datetime(2015, 4, 30, 7, 19, 58, tzinfo=timezone.utc)),
        ("2017-11-03 03:01:00.000000", datetime(2017, 11, 3, 3, 1, tzinfo=timezone.utc)),
        ("2010-08-13T12:00:00Z", datetime(2010, 8, 13, 12, tzinfo=timezone.utc)),
        ("2017-03-10", datetime(2017, 3, 10, tzinfo=timezone.utc)),
        ("Fri, 13 Aug 2010 16:08:00 EST", datetime(2010, 8, 13, 21, 8, tzinfo=timezone.utc)),
    ],
)
def test_parse_date_is_timezone_aware(raw, expected):
    parsed = parse_date(raw)
    assert parsed is not None and parsed.tzinfo is not None
    assert parsed == expected


@pytest.mark.parametrize("raw", ["", "yesterday", "2017-13-45", "March 3rd, sometime", "0000-00-00"])
def test_unparseable_date_is_none(raw):
    assert parse_date(raw) is None


@pytest.mark.parametrize(
    ("head", "body", "expected"),
    [
        (
            json_ld({"@type": "NewsArticle", "datePublished": "2020-01-02T03:04:05Z"})
            + '<meta property="article:published_time" content="2019-01-01T00:00:00Z">',
            "",
            datetime(2020, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
        ),
        (
            '<meta property="article:published_time" content="2019-01-01T10:00:00">'
            '<meta name="date" content="2018-01-01">',
            "",
            datetime(2019, 1, 1, 10, tzinfo=timezone.utc),
        ),
        (
            '<meta name="pubdate" content="2018-06-07">',
            '<time datetime="2001-01-01">x</time>',
            datetime(2018, 6, 7, tzinfo=timezone.utc),
        ),
        (
            '<meta name="date" content="not a date"><meta name="DC.date.issued" content="2016-02-03">',
            "",
            datetime(2016, 2, 3, tzinfo=timezone.utc),
        ),
        (
            '<meta name="publish_date" content="Fri, 13 Aug 2010 16:08:00 EST">',
            "",
            datetime(2010, 8, 13, 21, 8, tzinfo=timezone.utc),
        ),
        ("", '<time datetime="2014-05-06T07:08:09">May 6</time>', datetime(2014, 5, 6, 7, 8, 9, tzinfo=timezone.utc)),
        ("", "", None),
    ],
)
def test_published_precedence(head, body, expected):
    assert parse(page("<title>T</title>" + head, body)).published == expected


MARCH_18 = datetime(2015, 3, 18, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("head", "body", "expected"),
    [
        ('<meta property="article:publicationdate" content="2015-03-18">', "", MARCH_18),
        ('<meta name="date" content="2015-03-18">', "", MARCH_18),
        ('<meta itemprop="datePublished" content="2015-03-18T10:20:00+01:00">', "", datetime(2015, 3, 18, 9, 20, tzinfo=timezone.utc)),
        ("", '<time itemprop="datePublished" content="2015-03-18T10:20">March 18</time>', datetime(2015, 3, 18, 10, 20, tzinfo=timezone.utc)),
        ("", '<span itemprop="datePublished">Wednesday, March 18, 2015</span>', MARCH_18),
        ('<link rel="canonical" href="https://ex.com/world/2015/03/18/storm.html">', "", MARCH_18),
        ("", '<p class="dateline">Posted March 18, 2015 3:46 PM</p>', datetime(2015, 3, 18, 15, 46, tzinfo=timezone.utc)),
        ("", '<p class="byline">posted on April 21, 2015, at 11:29 a.m.</p>', datetime(2015, 4, 21, 11, 29, tzinfo=timezone.utc)),
        ("", '<div class="date">18 mars 2015 à 10h20</div>', datetime(2015, 3, 18, 10, 20, tzinfo=timezone.utc)),
        ("", '<span class="fecha">18 de marzo de 2015</span><p class="date-publication">18 de março de 2015</p>', MARCH_18),
        ("", '<div id="date">18. März 2015</div>', MARCH_18),
        ("", '<p class="dateline">Updated daily</p>', None),
    ],
)
def test_published_from_every_form(head, body, expected):
    assert parse(page("<title>T</title>" + head, body)).published == expected


def test_published_from_the_given_url_path():
    assert parse(page("<title>T</title>"), url="https://ex.com/2015/03/18/story/").published == MARCH_18


def test_date_given_from_outside_is_used_only_when_the_page_has_none():
    known = datetime(2020, 1, 1, tzinfo=timezone.utc)
    assert parse(page("<title>T</title>"), published=known).published == known
    dated = page('<title>T</title><meta name="date" content="2015-03-18">')
    assert parse(dated, published=known).published == MARCH_18


def test_dateline_is_not_searched_when_a_meta_names_the_date(monkeypatch):
    def fail(*args):
        raise AssertionError("the datelines were searched")

    monkeypatch.setattr(html_module, "dateline_texts", fail)
    assert parse(page('<title>T</title><meta name="date" content="2015-03-18">')).published == MARCH_18


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://ex.com/2015/03/18/story", MARCH_18),
        ("https://ex.com/news/2015-03-18-story.html", MARCH_18),
        ("https://ex.com/2015/3/8/story", datetime(2015, 3, 8, tzinfo=timezone.utc)),
        ("https://ex.com/2015/04/story", None),
        ("https://ex.com/2015/02/31/story", None),
        ("https://ex.com/id/20150318", None),
    ],
)
def test_date_in_url(url, expected):
    assert date_in_url(url) == expected


# --- other fields ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "folders", "url", "expected"),
    [
        (json_ld({"@type": "Article", "articleSection": "World News"}), ("sport",), "", ("sport", "folder")),
        (json_ld({"@type": "Article", "articleSection": "World News"}), ("goose3",), "", ("world", "section")),
        ('<meta property="article:section" content="Technology">', ("saved", "2024-05"), "", ("tech", "section")),
        ('<meta property="article:section" content="Zahraniční ligy">', (), "https://sport.aktualne.cz/fotbal/x/", ("sport", "url")),
        ("", ("Sports", "cnn"), "https://ex.com/politics/story", ("sport", "folder")),
        ("", ("readability", "cnn"), "https://ex.com/2010/POLITICS/08/story", ("politics", "url")),
        ("", (), "https://money.cnn.com/2016/02/01/news/economy/story.html", ("business", "url")),
        ("", (), "https://ex.com/2010/08/story.html", ("uncategorized", None)),
        ("", (), "https://ex.com/story.html", ("uncategorized", None)),
        ("", ("ars-1",), "https://ex.com/information-technology/2015/story", ("tech", "url")),
    ],
)
def test_category_precedence(head, folders, url, expected):
    article = parse(page("<title>T</title>" + head), url=url, folders=folders)
    assert (article.category, article.category_origin) == expected


CANONICAL = '<link rel="canonical" href="https://ex.com/c">'
OG_URL = '<meta property="og:url" content="https://ex.com/o">'


@pytest.mark.parametrize(
    ("head", "url", "expected"),
    [
        (CANONICAL + OG_URL, "https://ex.com/u", "https://ex.com/c"),
        ('<link rel="canonical" href="/relative">' + OG_URL, "https://ex.com/u", "https://ex.com/o"),
        ('<meta property="og:url" content="ftp://ex.com/o">', "https://ex.com/u", "https://ex.com/u"),
        ("", "not a url", ""),
    ],
)
def test_url_precedence(head, url, expected):
    article = parse(page("<title>T</title>" + head), url=url)
    assert article.url == expected
    assert article.id == (expected or "page.html")


def test_language_source_tags_and_summary():
    head = (
        '<title>T</title><meta property="og:locale" content="fr_FR">'
        '<meta property="og:description" content="Short summary.">'
        '<meta name="keywords" content="' + ", ".join(f"tag{i}" for i in range(30)) + '">'
    )
    article = parse(page(head, lang=""), url="https://www.lemonde.fr/politique/article.html")
    assert article.language == "fr"  # the primary subtag of fr_FR
    assert article.source == "lemonde.fr"
    assert article.tags == tuple(f"tag{i}" for i in range(20))
    assert article.summary == "Short summary."


def test_site_name_beats_publisher_and_url_valued_site_name_is_skipped():
    ld = json_ld({"@type": "NewsArticle", "publisher": {"name": "Publisher Inc"}})
    assert parse(page(ld + '<meta property="og:site_name" content="The Site">')).source == "The Site"
    assert parse(page(ld + '<meta property="og:site_name" content="http://www.tmz.com">')).source == "Publisher Inc"


# --- body and failures -----------------------------------------------------------------------


def test_body_is_paragraphs_from_trafilatura():
    article = parse(page("<title>T</title>"))
    assert article.paragraphs == FILLER


def test_body_does_not_repeat_the_headline():
    article = parse(page("<title>River park to grow - Example</title>", "<h1>River park to grow</h1>").replace("<article>", "<article><h1>River park to grow</h1>"))
    assert article.title == "River park to grow"
    assert article.paragraphs == FILLER


RESULTS = (
    "<table><tr><th>Place</th><th>Runner</th><th>Time</th></tr>"
    + "".join(f"<tr><td>{place}</td><td>Runner Number{place}</td><td>2:1{place}:00</td></tr>" for place in range(1, 6))
    + "</table>"
)


def test_a_data_table_is_kept_as_rows_of_cells():
    document = page("<title>Marathon results</title>").replace("</article>", RESULTS + "</article>")
    paragraphs = parse(document).paragraphs
    assert "Place | Runner | Time" in paragraphs
    assert "3 | Runner Number3 | 2:13:00" in paragraphs
    assert not any(set(paragraph) <= set("|-: ") for paragraph in paragraphs)


def test_a_layout_table_reads_as_paragraphs():
    cells = "".join(f"<p>{paragraph}</p>" for paragraph in FILLER)
    layout = f"<table><tr><td><a href='/'>Home</a></td></tr><tr><td>{cells}<table><tr><td>x</td><td>y</td></tr></table></td></tr></table>"
    document = f"<html><head><title>T</title></head><body>{layout}</body></html>"
    assert parse(document).paragraphs[:4] == FILLER


@pytest.mark.parametrize(
    ("table", "is_data"),
    [
        (RESULTS, True),
        ("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td><td>d</td></tr></table>", False),  # 2 x 2
        ("<table>" + "<tr><td>a</td><td>b</td></tr>" * 10 + "</table>", True),  # 10 rows
        ("<table><caption>Scores</caption><tr><td>a</td></tr></table>", True),
        ("<table role='presentation'><tr><th>a</th></tr></table>", False),
        ("<table><tr><td><table><tr><th>a</th></tr></table></td></tr></table>", False),  # holds a table
    ],
)
def test_data_tables_are_told_from_layout_tables(table, is_data):
    root = lxml.html.document_fromstring(f"<html><body>{table}</body></html>")
    assert html_module.is_data_table(next(root.iter("table"))) is is_data


def test_fallback_body_when_trafilatura_finds_nothing(monkeypatch):
    monkeypatch.setattr(html_module.trafilatura, "bare_extraction", lambda *args, **kwargs: None)
    article = parse(page("<title>T</title>", "<div><p>Short teaser.</p></div>"))
    assert article.paragraphs == FILLER


def test_fallback_body_takes_densest_paragraph_block(monkeypatch):
    monkeypatch.setattr(html_module.trafilatura, "bare_extraction", lambda *args, **kwargs: None)
    main = "<div class='story'>" + "".join(f"<p>{p}</p>" for p in FILLER) + "</div>"
    document = (
        "<html><head><title>T</title></head><body><div class='nav'><p>Home</p><p>About us</p></div>"
        f"{main}<div class='foot'><p>Copyright</p></div></body></html>"
    )
    assert parse(document).paragraphs == FILLER


def test_title_without_body_is_still_an_article():
    article = parse("<html><head><title>Only a title</title></head><body></body></html>")
    assert (article.title, article.body) == ("Only a title", "")


@pytest.mark.parametrize(
    "data",
    [b"", b"<html><head></head><body></body></html>", b"\x00\xff\xfe garbage", b"<<<>>>&&&"],
)
def test_no_title_and_no_body_raises_parse_error(data):
    with pytest.raises(ParseError, match="no title and no article text"):
        parse(data)


@pytest.mark.parametrize(
    ("data", "title", "text"),
    [
        (b"<html><head><title>Broken</title><body><div><p>Unclosed <b>bold <i>text" + b" word" * 40, "Broken", "Unclosed bold text word"),
        (b'<?xml version="1.0" encoding="utf-8"?><html><head><title>XML decl</title></head><body><p>x</p></body></html>', "XML decl", "x"),
        (b"<html><head><title>Bad \xff\xfe bytes</title></head><body>" + b"<p>caf\xe9 \x81\x8d</p>" * 20 + b"</body></html>", "Bad ", "café"),
        (b"<div>" * 3000 + b"<p>deep</p>" + b"</div>" * 3000, "", "deep"),
    ],
)
def test_bad_input_is_read_as_far_as_it_goes(data, title, text):
    article = parse(data)
    assert article.title.startswith(title) and text in article.body


def test_a_page_nested_deeper_than_the_parser_reads_keeps_its_title_and_paragraphs():
    document = "<div>" * 1000 + page("<title>Deep down</title>") + "</div>" * 1000
    article = parse(document)
    assert (article.title, article.paragraphs) == ("Deep down", FILLER)


def test_word_count_counts_cjk_characters():
    assert word_count("two words") == 2
    assert word_count("宇航员 in space") == 5


# --- metadata skeleton -----------------------------------------------------------------------


def metadata_readings(page: html_module.Page) -> dict:
    """Return every field the metadata readers find on a page."""
    url = html_module.find_url(page, "")
    return {
        "url": url,
        "title": html_module.find_title(page, html_module.site_names(page, url)),
        "published": html_module.find_published(page, url),
        "authors": html_module.find_authors(page),
        "category": html_module.find_category(page, None, url),
        "source": html_module.find_source(page, url),
        "language": html_module.find_language(page),
        "tags": html_module.find_tags(page),
        "summary": html_module.find_summary(page),
    }


def whole_page_readings(page: html_module.Page) -> dict:
    """Return what the metadata readers find when BeautifulSoup is given the whole page instead of its skeleton."""
    markup = lxml.html.tostring(page.root, encoding="unicode")
    soup = BeautifulSoup(markup, "lxml", multi_valued_attributes=None)
    return metadata_readings(html_module.read_page(page.root, page.is_document, soup, lambda: soup))


# Each document puts what a reader looks for where only a container tells it apart from a decoy.
SKELETON_DOCUMENTS = {
    "svg title is an image's": "<html><body><svg><title>Close</title></svg><h1>Headline here</h1></body></html>",
    "first article's time": (
        '<html><body><time datetime="2001-02-03">old</time><article><p>x</p></article>'
        '<article><time datetime="2020-05-06T10:00:00Z">new</time></article></body></html>'
    ),
    "time inside the article": (
        '<html><body><aside><time datetime="2001-02-03">old</time></aside>'
        '<article><div><time datetime="2020-05-06T10:00:00Z">new</time></div></article></body></html>'
    ),
    "pubdate": '<html><body><time datetime="2001-02-03">a</time><div><time pubdate datetime="2019-01-02">b</time></div></body></html>',
    "nested microdata author": (
        '<html><body><div class="head"><div itemprop="author" itemscope><span itemprop="name">Ann Lee</span>'
        '<span itemprop="jobTitle">Reporter</span></div></div></body></html>'
    ),
    "byline in a plain container": '<html><body><div class="meta"><p class="story-byline small">By Jane Doe and Bob Ray</p></div></body></html>',
    "rel author link": '<html><body><p>Words by <a rel="author external" href="/a">Sam Poe</a></p></body></html>',
    "dateline by id": '<html><body><div id="article-date">Posted March 3, 2020</div></body></html>',
    "dateline by a multi-valued class": '<html><body><span class="text-muted post-date">12 June 2018</span></body></html>',
    "dateline by a class naming a time": '<html><body><div class="article-timestamp">Updated 4 May 2016</div></body></html>',
    "date marked by itemprop": '<html><body><span itemprop="datePublished" content="2017-08-09">Aug 9</span></body></html>',
    "canonical link and language": (
        '<html lang="fr-FR"><head><link rel="Canonical" href="https://example.org/a/b"><title>Titre</title>'
        "</head><body><h1>Titre</h1></body></html>"
    ),
    "JSON-LD in the body": "<html><body>" + json_ld({"@type": "NewsArticle", "headline": "LD", "author": "Lu Xi"}) + "</body></html>",
    "class on the body": '<html><body class="author-page date-2020"><h1>Headline</h1><p class="byline">By Kim Moe</p></body></html>',
}


@pytest.mark.parametrize("document", SKELETON_DOCUMENTS.values(), ids=SKELETON_DOCUMENTS.keys())
def test_metadata_skeleton_reads_as_the_whole_page(document):
    page = html_module.load_page(document.encode("utf-8"))
    readings = metadata_readings(page)
    assert readings == whole_page_readings(page)
    assert any(value for key, value in readings.items() if key not in ("source", "category")), readings


def test_metadata_skeleton_reads_as_the_whole_page_on_real_pages():
    for case in page_cases(shared_data("news_html")):
        page = html_module.load_page(case.path.read_bytes())
        assert metadata_readings(page) == whole_page_readings(page), case.name


def test_metadata_skeleton_leaves_the_article_text_out():
    head = '<title>Park</title><meta name="author" content="Ann Lee">' + json_ld({"@type": "NewsArticle"})
    loaded = html_module.load_page(page(head, '<p class="byline">By Ann Lee</p>').encode("utf-8"))
    assert [tag.name for tag in loaded.soup.find_all(["title", "meta", "script", "p"])] == ["meta", "title", "meta", "script"]
    assert [tag.name for tag in loaded.marked_soup().find_all(["title", "meta", "script", "p"])] == ["p"]
    for soup in (loaded.soup, loaded.marked_soup()):
        assert "twelve acres" not in soup.get_text()
        assert soup.find("nav") is None and soup.find("footer") is None


def test_marked_elements_are_not_gathered_when_structured_data_names_date_and_author(monkeypatch):
    def fail(*args):
        raise AssertionError("the page's marked elements were gathered")

    monkeypatch.setattr(html_module, "is_marked", fail)
    head = json_ld({"@type": "NewsArticle", "author": {"name": "Jane Doe"}, "datePublished": "2020-01-02"}) + "<title>T</title>"
    article = parse(page(head, '<p class="byline">By Other Person</p>'))
    assert (article.authors, article.published) == (("Jane Doe",), datetime(2020, 1, 2, tzinfo=timezone.utc))


# --- real pages ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_pages():
    """Parse every saved real page once; keep the exception instead of an article when parsing fails."""
    results = []
    for case in page_cases(shared_data("news_html")):
        try:
            article = parse_html(case.path.read_bytes(), relative_path=case.name, url=case.url)
        except Exception as error:  # noqa: BLE001 - kept so one test can list every failing page at once
            article = error
        results.append((case, article))
    return results


FIELD_CHECKS = {
    "title": lambda article, case: titles_match(article.title, case.title),
    "date": lambda article, case: dates_match(article.published, case.date),
    "byline": lambda article, case: byline_matches(article.authors, case.byline),
    "body_prefix": lambda article, case: first_paragraph(case.body_prefix) in normalized(article.body),
    "language": lambda article, case: primary_language(article.language) == primary_language(case.language),
}

# Floors are the measured rates rounded down: a regression in any field fails the test.
FLOORS = {"title": 1.0, "date": 1.0, "byline": 0.85, "body_prefix": 1.0, "language": 1.0}


@pytest.mark.parametrize(
    ("ours", "expected", "match"),
    [
        ("Xbox One X review: A console", "Xbox One X review:  a CONSOLE", True),
        ("Democrats to use Social Security", "Democrats to use Social Security - CNN.com", True),
        ("LWN.net Weekly Edition", "LWN.net Weekly Edition [LWN.net]", True),
        ("2005 Zuckerberg", "TechCrunch | 2005 Zuckerberg", True),
        ("Storm", "Storm - the full story of how the town was rebuilt", False),
        ("Storm hits coast", "Storm hits", False),
        ("", "", False),
    ],
)
def test_titles_match(ours, expected, match):
    assert titles_match(ours, expected) is match


@pytest.mark.parametrize(
    ("authors", "byline", "match"),
    [
        (("Lucas Nolan",), "by Lucas Nolan22 Dec 2016651", True),
        (("Brenda Goodman",), "By Brenda  Goodman, MA\n   WebMD Health News", True),
        (("GILLIAN MOHNEY",), "By Gillian Mohney\n  March 11, 2015 3:46 PM", True),
        (("Ann Lee",), "Ann Lee and Bob Ray", False),
        (("AFP",), "Par Sébastien Farcis", False),
        ((), "Dan Goodin", False),
    ],
)
def test_byline_matches(authors, byline, match):
    assert byline_matches(authors, byline) is match


def test_dates_match_to_the_minute_in_utc():
    assert dates_match(datetime(2021, 11, 1, 9, 52, 59, tzinfo=timezone.utc), "2021-11-01T10:52:50+0100")
    assert dates_match(datetime(2017, 11, 3, 3, 1, tzinfo=timezone.utc), "2017-11-03 03:01:00.000000")
    assert not dates_match(datetime(2015, 4, 30, 7, 19, tzinfo=timezone.utc), "2015-04-30T07:20:58")
    assert not dates_match(None, "2015-04-30")


def test_every_real_page_parses_with_a_body(real_pages):
    failures = [case.name for case, article in real_pages if isinstance(article, Exception)]
    assert not failures, failures
    assert len(real_pages) == 31
    thin = {case.name: word_count(article.body) for case, article in real_pages if word_count(article.body) < 100}
    assert not thin, thin


def test_real_page_match_rates(real_pages):
    rates = {}
    misses: dict[str, list[str]] = {}
    for field, check in FIELD_CHECKS.items():
        judged = [(case, article) for case, article in real_pages if getattr(case, field)]
        hits = [case.name for case, article in judged if check(article, case)]
        misses[field] = sorted({case.name for case, _ in judged} - set(hits))
        rates[field] = (len(hits), len(judged))
    for field, (hits, total) in rates.items():
        print(f"\n{field:>10}: {hits}/{total} = {hits / total:.0%}  misses: {', '.join(misses[field]) or '-'}", end="")
    print()
    for field, floor in FLOORS.items():
        hits, total = rates[field]
        assert total and hits / total >= floor, (field, rates[field], misses[field])
