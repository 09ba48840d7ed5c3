"""Tests for archive.html: unit tests on hand-written pages, then match rates on saved real news pages."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

import archive.html as html_module
from archive.dates import parse_date
from archive.html import parse_html, word_count
from archive.model import ParseError
from tests.conftest import shared_data


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
    assert article.category == "social"
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
    assert html_module.split_names(byline) == expected


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


# --- other fields ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "folder", "url", "expected"),
    [
        (json_ld({"@type": "Article", "articleSection": "World News"}), "sport", "", "world"),
        ('<meta property="article:section" content="Technology">', "sport", "", "tech"),
        ("", "Sports", "https://ex.com/politics/story", "sport"),
        ("", None, "https://ex.com/politics/story", "politics"),
        ("", None, "https://ex.com/2010/08/story.html", "uncategorized"),
        ("", None, "https://ex.com/story.html", "uncategorized"),
    ],
)
def test_category_precedence(head, folder, url, expected):
    assert parse(page("<title>T</title>" + head), url=url, folder_category=folder).category == expected


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
    assert article.language == "fr-fr"
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


def test_word_count_counts_cjk_characters():
    assert word_count("two words") == 2
    assert word_count("宇航员 in space") == 5


# --- real pages ------------------------------------------------------------------------------


def real_page_cases(root: Path) -> list[dict]:
    """Return each saved page with its URL and expected metadata, in a uniform shape."""
    cases = []
    for folder in sorted((root / "readability").iterdir()):
        expected = json.loads((folder / "expected-metadata.json").read_text(encoding="utf-8"))
        cases.append(
            {
                "name": f"readability/{folder.name}",
                "path": folder / "source.html",
                "url": "",
                "title": expected.get("title"),
                "date": expected.get("publishedTime"),
                "byline": expected.get("byline"),
                "body_start": None,
                "language": expected.get("lang"),
            }
        )
    for html_file in sorted((root / "goose3").glob("*.html")):
        spec = json.loads(html_file.with_suffix(".json").read_text(encoding="utf-8"))
        expected, schema = spec.get("expected", {}), spec.get("schema", {})
        authors = [a.get("name") for a in schema.get("author", []) if isinstance(a, dict) and a.get("name")]
        cases.append(
            {
                "name": f"goose3/{html_file.stem}",
                "path": html_file,
                "url": spec.get("url", ""),
                "title": expected.get("title") or schema.get("headline"),
                "date": schema.get("datePublished"),
                "byline": " and ".join(authors) or None,
                "body_start": first_paragraph(expected.get("cleaned_text", "")),
                "language": expected.get("meta_lang") or schema.get("inLanguage"),
            }
        )
    return cases


def first_paragraph(text: str, limit: int = 80) -> str | None:
    """Return the start of the first paragraph of an expected body, or None if there is none."""
    paragraph = next((p for p in text.split("\n") if p.strip()), "")
    return normalized(paragraph)[:limit] or None


@pytest.fixture(scope="module")
def real_pages():
    """Parse every saved real page once; keep the exception instead of an article when parsing fails."""
    results = []
    for case in real_page_cases(shared_data("news_html")):
        try:
            article = parse_html(case["path"].read_bytes(), relative_path=case["name"], url=case["url"])
        except Exception as error:  # noqa: BLE001 - kept so one test can list every failing page at once
            article = error
        results.append((case, article))
    return results


def normalized(text: str) -> str:
    """Return text casefolded with whitespace collapsed."""
    return " ".join(text.split()).casefold()


TITLE_SEPARATORS = "-|–—:·_[]"
MAX_AFFIX_WORDS = 4


def titles_match(ours: str, expected: str) -> bool:
    """Tell whether titles are equal after normalization, or differ only by a site-name affix."""
    ours, expected = normalized(ours), normalized(expected)
    shorter, longer = sorted((ours, expected), key=len)
    if not shorter or shorter == longer:
        return bool(shorter)
    if longer.startswith(shorter):
        return is_site_affix(longer[len(shorter):], joined_at_start=True)
    if longer.endswith(shorter):
        return is_site_affix(longer[: -len(shorter)], joined_at_start=False)
    return False


def is_site_affix(affix: str, *, joined_at_start: bool) -> bool:
    """Tell whether a title remainder is a separator joined to a short name, like ' - CNN.com' or 'TechCrunch | '."""
    affix = affix.strip()
    edge = affix[:1] if joined_at_start else affix[-1:]
    words = affix.strip(TITLE_SEPARATORS + " ").split()
    return bool(edge) and edge in TITLE_SEPARATORS and 0 < len(words) <= MAX_AFFIX_WORDS


def dates_match(ours: datetime | None, expected: str) -> bool:
    """Tell whether our date equals the expected one to the minute in UTC; naive expected times are UTC."""
    wanted = datetime.fromisoformat(expected.strip())
    wanted = wanted if wanted.tzinfo else wanted.replace(tzinfo=timezone.utc)
    return ours is not None and utc_minute(ours) == utc_minute(wanted)


def utc_minute(moment: datetime) -> datetime:
    """Return a moment in UTC truncated to the minute."""
    return moment.astimezone(timezone.utc).replace(second=0, microsecond=0)


def primary_language(tag: str) -> str:
    """Return the primary subtag of a language tag: 'en' for 'en-US' or 'en_us'."""
    return re.split(r"[-_]", tag.strip().lower())[0]


def expected_names(byline: str) -> list[str]:
    """Return the person names in an expected byline.

    Only the first line counts, without a leading 'By'/'Par' and without anything from the first digit
    on (Readability glues dates and counters onto names). A one-word piece such as 'MA' next to a full
    name is a credential or an employer, not a person.
    """
    line = re.sub(r"^\s*(by|par)\s+", "", byline.strip().split("\n")[0], flags=re.IGNORECASE)
    line = re.split(r"\d", line)[0]
    pieces = [normalized(p) for p in re.split(r",|;|&|\band\b", line, flags=re.IGNORECASE) if p.strip()]
    full_names = [p for p in pieces if len(p.split()) > 1]
    return full_names if full_names else pieces


def byline_matches(authors: tuple[str, ...], byline: str) -> bool:
    """Tell whether every expected name is one of our authors, ignoring case and spacing."""
    ours = {normalized(author) for author in authors}
    names = expected_names(byline)
    return bool(names) and all(name in ours for name in names)


FIELD_CHECKS = {
    "title": lambda article, case: titles_match(article.title, case["title"]),
    "date": lambda article, case: dates_match(article.published, case["date"]),
    "byline": lambda article, case: byline_matches(article.authors, case["byline"]),
    "body_start": lambda article, case: case["body_start"] in normalized(article.body),
    "language": lambda article, case: primary_language(article.language) == primary_language(case["language"]),
}

# Floors are the measured rates rounded down: a regression in any field fails the test.
FLOORS = {"title": 1.0, "date": 1.0, "byline": 0.85, "body_start": 1.0, "language": 1.0}


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
    failures = [case["name"] for case, article in real_pages if isinstance(article, Exception)]
    assert not failures, failures
    assert len(real_pages) == 31
    thin = {case["name"]: word_count(article.body) for case, article in real_pages if word_count(article.body) < 100}
    assert not thin, thin


def test_real_page_match_rates(real_pages):
    rates = {}
    misses: dict[str, list[str]] = {}
    for field, check in FIELD_CHECKS.items():
        judged = [(case, article) for case, article in real_pages if case[field]]
        hits = [case["name"] for case, article in judged if check(article, case)]
        misses[field] = sorted({case["name"] for case, _ in judged} - set(hits))
        rates[field] = (len(hits), len(judged))
    for field, (hits, total) in rates.items():
        print(f"\n{field:>10}: {hits}/{total} = {hits / total:.0%}  misses: {', '.join(misses[field]) or '-'}", end="")
    print()
    for field, floor in FLOORS.items():
        hits, total = rates[field]
        assert total and hits / total >= floor, (field, rates[field], misses[field])
