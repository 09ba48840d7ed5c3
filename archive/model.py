"""The article model shared by every layer."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from datetime import datetime

from archive.categories import UNCATEGORIZED, CategoryClues, CategoryRules
from archive.languages import article_language
from archive.names import escape_undecodable

_WHITESPACE = re.compile(r"\s+")
# Control characters (other than tab and newline) make feeds invalid XML and can drive a terminal.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Article:
    """One parsed news article."""

    id: str
    title: str
    body: str  # paragraphs separated by one blank line
    category: str = UNCATEGORIZED
    category_origin: str | None = None  # given, folder, section, url or predicted (archive.categories); None: no category
    category_confidence: float | None = None  # the model's probability, for a predicted category
    published: datetime | None = None  # timezone-aware; never guessed from file times
    authors: tuple[str, ...] = ()
    source: str = ""
    url: str = ""
    language: str = ""  # a primary language subtag ("fr"), declared or detected; "" when unknown
    tags: tuple[str, ...] = ()
    summary: str = ""
    path: str = ""
    content_hash: str = field(default="", compare=False)
    captured: datetime | None = None  # when a web archive or `archive add` fetched the page; timezone-aware
    clues: CategoryClues = field(default=CategoryClues(), compare=False, repr=False)  # to decide again by the user's rules

    @property
    def paragraphs(self) -> list[str]:
        """Return the body split into paragraphs."""
        return [p for p in self.body.split("\n\n") if p.strip()]


def content_hash(title: str, body: str) -> str:
    """Return a digest of the title and the paragraphs, blind to spacing inside a paragraph."""
    paragraphs = (_WHITESPACE.sub(" ", p).strip() for p in [title, *body.split("\n\n")])
    return hashlib.sha256("\n\n".join(paragraphs).encode("utf-8")).hexdigest()


def join_paragraphs(paragraphs: list[str]) -> str:
    """Join cleaned, non-empty paragraphs with blank lines."""
    cleaned = (_WHITESPACE.sub(" ", p).strip() for p in paragraphs)
    return "\n\n".join(p for p in cleaned if p)


def make_article(
    *,
    title: str,
    body: str,
    relative_path: str,
    explicit_id: str = "",
    url: str = "",
    category: str | None = None,
    clues: CategoryClues = CategoryClues(),
    published: datetime | None = None,
    authors: tuple[str, ...] | list[str] = (),
    source: str = "",
    language: str = "",
    tags: tuple[str, ...] | list[str] = (),
    summary: str = "",
) -> Article:
    """Build an Article with its id, hash, category and language (detected when not declared) derived consistently.

    `category` is an explicit label; without one, the clues decide (archive.categories)."""
    clues = replace(clues, label=category or clues.label, url=clues.url or url)
    decided, origin = CategoryRules().decide(clues)
    title = _WHITESPACE.sub(" ", _CONTROL.sub("", title)).strip()
    body = _CONTROL.sub("", body)
    return Article(
        id=escape_undecodable(explicit_id or url or relative_path),  # a file name's bytes may not be UTF-8
        title=title,
        body=body,
        category=decided,
        category_origin=origin,
        published=published,
        authors=_unique(authors),
        source=_CONTROL.sub("", source).strip(),
        url=url,
        language=article_language(language, title, body),
        tags=_unique(t.strip().lower() for t in tags),
        summary=_CONTROL.sub("", summary).strip(),
        path=relative_path,
        content_hash=content_hash(title, body),
        clues=clues,
    )


def _unique(values) -> tuple[str, ...]:
    """Return the non-empty values in first-seen order without repeats."""
    kept: list[str] = []
    folded: set[str] = set()
    for value in values:
        value = _WHITESPACE.sub(" ", _CONTROL.sub("", value)).strip()
        if value and value.casefold() not in folded:
            kept.append(value)
            folded.add(value.casefold())
    return tuple(kept)


class ParseError(ValueError):
    """A file that cannot become an article; the message is the reason shown to the user."""


@dataclass(frozen=True)
class Skipped:
    """A file (or a line of a JSON Lines file) that was not indexed, and why."""

    path: str
    reason: str


@dataclass(frozen=True)
class Duplicate:
    """An article whose text is already indexed under another id."""

    path: str
    duplicate_of: str
