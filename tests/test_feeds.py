"""Feeds: the real RSS and Atom feeds in ../shared/data/news_feeds against their expected parses, and JSON Feed."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import pytest

from archive.categories import CategoryClues, CategoryRules
from archive.feeds import parse_feed
from archive.model import Article, ParseError, Skipped
from archive.sources import read_sources
from index.storage import IndexLocation
from index.writing import rebuild
from tests.conftest import shared_data

# (feed file, expected parse, the encoding the expected parse is written in: see the folder's PROVENANCE.md)
FEEDS = [
    ("guardian.rss", "guardian.json", "utf-8"),
    ("heise.atom", "heise.json", "utf-8"),
    ("uolNoticias.rss", "uolNoticias.json", "utf-8"),
    ("encoding.rss", "encoding.json", "latin-1"),
    ("rss-1.rss", "rss-1.json", "utf-8"),
]


def feed_articles(path: Path) -> list[Article]:
    """Return the articles read from one feed file, failing on any skipped entry."""
    items = list(read_sources([path]))
    assert not [item for item in items if isinstance(item, Skipped)]
    return items


def words(text: str) -> str:
    """Return the words of a text, without the punctuation and list bullets that extraction may add."""
    return " ".join(re.findall(r"\w+", text))


def expected_categories(item: dict) -> list[str]:
    """Return the category names of an expected item (plain strings or {'_': name} objects)."""
    return [category["_"] if isinstance(category, dict) else category for category in item.get("categories", [])]


@pytest.mark.parametrize(("name", "expected_name", "encoding"), FEEDS)
def test_each_feed_matches_its_expected_parse(name, expected_name, encoding):
    folder = shared_data("news_feeds") / "rss-parser"
    expected = json.loads((folder / "expected_output" / expected_name).read_text(encoding=encoding))["feed"]["items"]
    articles = feed_articles(folder / name)
    assert len(articles) == len(expected)
    for article, item in zip(articles, expected, strict=True):
        assert article.url == article.id == item["link"]
        if "\ufffd" not in item["title"]:  # the expected parse of uolNoticias mis-decoded its Latin-1 text
            assert article.title == " ".join(item["title"].split())
        if item.get("isoDate"):
            assert article.published == datetime.fromisoformat(item["isoDate"].replace("Z", "+00:00"))
        if item.get("creator"):
            assert article.authors == (item["creator"],)
        tags = [" ".join(tag.lower().split()) for category in expected_categories(item) for tag in category.split(",")]
        if tags:  # rss-parser reads <category> only; feedparser also reads dc:subject (rss-1's "Botany, Microbiology")
            assert list(article.tags) == list(dict.fromkeys(tags))
        assert article.path == str(folder / name)
        snippet = words(item.get("contentSnippet", ""))[:60]
        if snippet and "\ufffd" not in item.get("contentSnippet", ""):
            assert snippet in words(article.body)


def test_the_first_known_category_of_an_entry_sets_its_category():
    folder = shared_data("news_feeds") / "rss-parser"
    guardian = feed_articles(folder / "guardian.rss")
    # Tags "Donald Trump", "State of the Union address", "US news", ...: "US news" is the first known one.
    assert (guardian[0].category, guardian[0].category_origin) == ("us", "section")
    assert {article.category for article in guardian} <= {"us", "world", "business", "sport", "entertainment", "tech",
                                                          "science", "environment", "uncategorized", "politics", "opinion", "lifestyle"}
    assert CategoryRules().decide(CategoryClues(sections=("Nacional", "Sports", "World"))) == ("sport", "section")
    assert CategoryRules().decide(CategoryClues(sections=("Botany", "Microbiology"))) == ("uncategorized", None)


def test_the_real_feeds_rebuild_with_every_entry_counted_as_a_feed_article(tmp_path):
    folder = shared_data("news_feeds") / "rss-parser"
    summary = rebuild(IndexLocation(tmp_path / "index"), [folder / name for name, _, _ in FEEDS])
    assert summary.files_by_kind == {"feed": 5}
    assert summary.indexed + summary.duplicates == 194
    assert summary.indexed_by_kind == {"feed": summary.indexed}
    assert summary.skipped == ()


JSON_FEED = {
    "version": "https://jsonfeed.org/version/1.1",
    "title": "Harbour news",
    "language": "en",
    "authors": [{"name": "Desk"}],
    "items": [
        {
            "id": "1",
            "url": "https://harbour.example/world/terminal",
            "title": "Ferry terminal opens",
            "content_html": "<p>The new ferry terminal opened to passengers on Monday morning.</p><p>Traders welcomed it.</p>",
            "summary": "A terminal opens.",
            "date_published": "2024-04-01T09:30:00+02:00",
            "authors": [{"name": "Ana Lopes"}, {"name": "Sam Reed"}],
            "tags": ["Economy", "Ferries"],
        },
        {"id": "urn:harbour:2", "title": "Plain text item", "content_text": "First line of text.\nSecond line of text."},
        {"id": "3", "url": "javascript:alert(1)", "title": "<b>Markup in a title</b> stays text"},
        "not an item",
    ],
}


def test_a_json_feed_becomes_articles(tmp_path):
    path = tmp_path / "feed.json"
    path.write_text(json.dumps(JSON_FEED), encoding="utf-8")
    first, second, third = read_sources([path])
    assert (first.id, first.url, first.title) == ("https://harbour.example/world/terminal",) * 2 + ("Ferry terminal opens",)
    assert first.body == "The new ferry terminal opened to passengers on Monday morning.\n\nTraders welcomed it."
    assert first.published.isoformat() == "2024-04-01T09:30:00+02:00"
    assert (first.authors, first.tags, first.category) == (("Ana Lopes", "Sam Reed"), ("economy", "ferries"), "business")
    assert (first.summary, first.language) == ("A terminal opens.", "en")
    assert (second.id, second.url, second.authors) == ("urn:harbour:2", "", ("Desk",))
    assert second.body == "First line of text.\n\nSecond line of text."
    assert (third.url, third.title) == ("", "<b>Markup in a title</b> stays text")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"<html><body><p>A web page, not a feed</p></body></html>", "not a feed (no RSS, Atom or JSON Feed found)"),
        (b'{"title": "JSON, but no feed"}', "not a feed (JSON without a JSON Feed version)"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": [', "not a feed (invalid JSON)"),
        (b'<?xml version="1.0"?><rss version="2.0"><channel><title>Empty</title></channel></rss>', "a feed without entries"),
    ],
)
def test_files_that_are_no_feed_are_skipped_with_a_reason(tmp_path, content, reason):
    path = tmp_path / ("feed.json" if content.startswith(b"{") else "feed.xml")
    path.write_bytes(content)
    assert list(read_sources([path])) == [Skipped(str(path), reason)]


def test_an_entry_with_neither_title_nor_text_is_skipped_and_the_others_read(tmp_path):
    path = tmp_path / "feed.rss"
    path.write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        "<item><link>https://x.example/a</link></item>"
        "<item><title>Kept</title><link>https://x.example/b</link><description>Some text here.</description></item>"
        "</channel></rss>",
        encoding="utf-8",
    )
    skipped, kept = read_sources([path])
    assert skipped == Skipped(f"{path} entry 1", "no title and no article text found")
    assert (kept.title, kept.body) == ("Kept", "Some text here.")


def test_parse_feed_refuses_what_is_no_feed():
    with pytest.raises(ParseError):
        parse_feed(b"just some words")
