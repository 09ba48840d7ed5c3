"""Read news feeds (RSS 0.9x/1.0/2.0 and Atom with feedparser; JSON Feed): each entry becomes an article.

An entry's text is HTML (content:encoded, Atom content, or the summary): it is wrapped in a minimal page and
parsed by the same page parser as saved pages, then the entry's own metadata replaces what the page lacks.
"""

from __future__ import annotations

import calendar
import codecs
import html
import json
import re
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from functools import partial

import feedparser
from bs4 import BeautifulSoup

from archive.categories import CategoryClues
from archive.dates import parse_date
from archive.model import Article, ParseError, make_article
from archive.page_workers import PageBytes, PagePart

JSON_FEED_VERSION = "https://jsonfeed.org/version/"
_TAG_SEPARATOR = re.compile(r"\s*[,;]\s*")


@dataclass(frozen=True)
class FeedEntry:
    """One entry of a feed, as plain data."""

    number: int  # 1-based position in the feed
    title: str
    link: str
    guid: str
    published: datetime | None
    authors: tuple[str, ...]
    categories: tuple[str, ...]
    content_html: str  # the entry's full text when the feed carries it, else its summary
    summary_html: str  # the summary when the full text is there too, else ''
    language: str


def parse_feed(data: bytes) -> list[FeedEntry]:
    """Return the entries of an RSS, Atom or JSON feed; raise ParseError when the bytes are no feed."""
    if data.removeprefix(codecs.BOM_UTF8).lstrip()[:1] in (b"{", b"["):
        return _json_feed_entries(data)
    parsed = feedparser.parse(data)
    if not parsed.version and not parsed.entries:
        raise ParseError("not a feed (no RSS, Atom or JSON Feed found)")
    language = str(parsed.feed.get("language") or "")
    return [_entry(number, entry, language) for number, entry in enumerate(parsed.entries, start=1)]


def entry_part(entry: FeedEntry, *, path: str, relative_path: str) -> PagePart:
    """Return an entry for the page parser: its text wrapped in a minimal page, completed by the entry's metadata."""
    page = (
        f'<!DOCTYPE html><html lang="{html.escape(entry.language)}"><head><meta charset="utf-8">'
        f"<title>{html.escape(entry.title)}</title></head>"
        f"<body><article>{entry.content_html}</article></body></html>"
    )
    job = PageBytes(
        page.encode("utf-8"),
        relative_path=f"{relative_path}#{entry.number}",
        origin=f"{path} entry {entry.number}",
        url=entry.link,
        article_id=entry.link or entry.guid,
        published=entry.published,
        path=path,
    )
    return PagePart(job, partial(entry_article, entry, relative_path=relative_path, path=path))


def entry_article(entry: FeedEntry, page: Article, *, relative_path: str, path: str) -> Article:
    """Return the article of a feed entry: the body parsed from its text, the rest from the feed."""
    article = make_article(
        title=entry.title or page.title,
        body=page.body,
        relative_path=f"{relative_path}#{entry.number}",
        explicit_id=entry.link or entry.guid,
        url=entry.link,
        # The entry's categories are its sections; the link's path ('/world/2018/...') is the next clue.
        clues=CategoryClues(sections=entry.categories),
        published=entry.published or page.published,
        authors=entry.authors or page.authors,
        source=page.source,
        language=entry.language or page.language,
        tags=[tag for category in entry.categories for tag in _TAG_SEPARATOR.split(category)],
        summary=_plain_text(entry.summary_html) or page.summary,
    )
    return replace(article, path=path)


def entry_links(data: bytes) -> list[str]:
    """Return the http(s) links of a feed's entries, in feed order and without repeats."""
    links = [entry.link for entry in parse_feed(data) if entry.link]
    return list(dict.fromkeys(links))


# --- RSS and Atom ------------------------------------------------------------------------------


def _entry(number: int, entry: feedparser.FeedParserDict, feed_language: str) -> FeedEntry:
    """Turn one feedparser entry into a FeedEntry."""
    contents = [_as_html(part) for part in entry.get("content", []) if part.get("value")]
    summary = _as_html(entry.get("summary_detail") or {}) or str(entry.get("summary") or "")
    full_text = max(contents, key=len, default="")
    language = next((str(part.get("language")) for part in entry.get("content", []) if part.get("language")), "")
    return FeedEntry(
        number=number,
        title=str(entry.get("title") or "").strip(),
        link=_http_url(entry.get("link")),
        guid=str(entry.get("id") or "").strip(),
        published=_struct_date(_plain(entry, "published_parsed") or _plain(entry, "updated_parsed"))
        or parse_date(_plain(entry, "published") or _plain(entry, "updated")),
        authors=_authors(entry),
        categories=tuple(str(tag.get("term") or tag.get("label") or "").strip() for tag in entry.get("tags", [])),
        content_html=full_text or summary,
        summary_html=summary if full_text and summary else "",
        language=language or feed_language,
    )


def _plain(entry: feedparser.FeedParserDict, key: str):
    """Return an entry's own value for a key, without feedparser's deprecated mapping of 'updated' to 'published'."""
    return dict.get(entry, key)


def _as_html(detail: dict) -> str:
    """Return a feedparser text construct as HTML, escaping it when it is plain text."""
    value = str(detail.get("value") or "")
    return value if "html" in str(detail.get("type") or "text/html") else _text_to_html(value)


def _authors(entry: feedparser.FeedParserDict) -> tuple[str, ...]:
    """Return the names of an entry's authors (dc:creator, author, Atom authors)."""
    names = [str(author.get("name") or "").strip() for author in entry.get("authors", [])]
    names = [name for name in names if name] or [str(entry.get("author") or "").strip()]
    return tuple(name for name in names if name)


def _struct_date(value) -> datetime | None:
    """Return a feedparser date (a UTC struct_time) as an aware datetime."""
    return datetime.fromtimestamp(calendar.timegm(value), tz=timezone.utc) if value else None


# --- JSON Feed (https://www.jsonfeed.org/version/1.1/) ----------------------------------------


def _json_feed_entries(data: bytes) -> list[FeedEntry]:
    """Return the items of a JSON Feed; raise ParseError if the JSON is not one."""
    try:
        feed = json.loads(data.decode("utf-8-sig", errors="replace"))
    except (ValueError, RecursionError) as error:
        raise ParseError("not a feed (invalid JSON)") from error
    if not isinstance(feed, dict) or not str(feed.get("version", "")).startswith(JSON_FEED_VERSION):
        raise ParseError("not a feed (JSON without a JSON Feed version)")
    items = feed.get("items") if isinstance(feed.get("items"), list) else []
    language = _string(feed.get("language"))
    feed_authors = _json_authors(feed)
    return [
        _json_entry(number, item, language, feed_authors)
        for number, item in enumerate(items, start=1)
        if isinstance(item, dict)
    ]


def _json_entry(number: int, item: dict, feed_language: str, feed_authors: tuple[str, ...]) -> FeedEntry:
    """Turn one JSON Feed item into a FeedEntry."""
    full_text = _string(item.get("content_html")) or _text_to_html(_string(item.get("content_text")))
    summary = html.escape(_string(item.get("summary")))
    tags = item.get("tags") if isinstance(item.get("tags"), list) else []
    return FeedEntry(
        number=number,
        title=_string(item.get("title")),
        link=_http_url(item.get("url")) or _http_url(item.get("external_url")),
        guid=_string(item.get("id")),
        published=parse_date(_string(item.get("date_published")) or _string(item.get("date_modified"))),
        authors=_json_authors(item) or feed_authors,
        categories=tuple(tag.strip() for tag in tags if isinstance(tag, str) and tag.strip()),
        content_html=full_text or summary,
        summary_html=summary if full_text and summary else "",
        language=_string(item.get("language")) or feed_language,
    )


def _json_authors(node: dict) -> tuple[str, ...]:
    """Return the author names of a JSON Feed item or feed (1.1 `authors`, 1.0 `author`)."""
    authors = node.get("authors") if isinstance(node.get("authors"), list) else [node.get("author")]
    return tuple(name for name in (_string(a.get("name")) for a in authors if isinstance(a, dict)) if name)


def _string(value: object) -> str:
    """Return a JSON value as stripped text when it is a string, else ''."""
    return value.strip() if isinstance(value, str) else ""


# --- shared -----------------------------------------------------------------------------------


def _http_url(value: object) -> str:
    """Return a link when it is an absolute http(s) URL, else ''."""
    link = str(value or "").strip()
    return link if link.lower().startswith(("http://", "https://")) else ""


def _text_to_html(text: str) -> str:
    """Return plain text as HTML paragraphs, one per line."""
    return "".join(f"<p>{html.escape(line)}</p>" for line in text.splitlines() if line.strip())


def _plain_text(markup: str) -> str:
    """Return the text of a short HTML fragment such as a summary."""
    if "<" not in markup:
        return " ".join(html.unescape(markup).split())
    return " ".join(BeautifulSoup(markup, "lxml").get_text(" ").split())
