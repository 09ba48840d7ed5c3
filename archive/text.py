"""Parse plain-text articles: the seed layout, the BBC layout and an optional header block."""

from __future__ import annotations

import re

from archive.categories import CategoryClues, looks_like_category_line
from archive.dates import parse_date
from archive.model import Article, ParseError, join_paragraphs, make_article

# Header keys people write, mapped to the Article field they fill.
HEADER_KEYS = {
    "title": "title",
    "date": "published",
    "published": "published",
    "category": "category",
    "section": "section",
    "author": "authors",
    "authors": "authors",
    "by": "authors",
    "source": "source",
    "url": "url",
    "link": "url",
    "tags": "tags",
    "keywords": "tags",
    "summary": "summary",
    "language": "language",
}
_HEADER_LINE = re.compile(r"^\s*([A-Za-z]+)\s*:\s*(.*?)\s*$")
_NAME_SEPARATOR = re.compile(r"\s*[,;]\s*|\s+and\s+")
_TAG_SEPARATOR = re.compile(r"\s*[,;]\s*")


def parse_text(text: str, *, relative_path: str, folders: tuple[str, ...] = ()) -> Article:
    """Parse a plain-text article; raise ParseError when it has neither title nor body."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    header, lines = split_header(lines)
    lines = _strip_blank_edges(lines)
    title = header.get("title") or (lines.pop(0).strip() if lines else "")
    lines = _strip_blank_edges(lines)
    trailing_category = None
    if len(lines) > 1 and looks_like_category_line(lines[-1]) and lines[-2].strip():
        trailing_category = lines.pop().strip()
    body = join_paragraphs(split_paragraphs(lines))
    if not title and not body:
        raise ParseError("no title and no text")
    if not body:
        raise ParseError("title but no article text")
    return make_article(
        title=title,
        body=body,
        relative_path=relative_path,
        url=header.get("url", "") if header.get("url", "").startswith(("http://", "https://")) else "",
        category=header.get("category") or trailing_category,
        clues=CategoryClues(sections=(header["section"],) if header.get("section") else (), folders=folders),
        published=parse_date(header.get("published")),
        authors=_split_list(header.get("authors", "")),
        source=header.get("source", ""),
        language=header.get("language", ""),
        tags=_split_list(header.get("tags", ""), on_and=False),
        summary=header.get("summary", ""),
    )


def split_header(lines: list[str]) -> tuple[dict[str, str], list[str]]:
    """Split a leading block of known `Key: value` lines (ended by a blank line) from the rest."""
    header: dict[str, str] = {}
    for index, line in enumerate(lines):
        if not line.strip():
            return (header, lines[index + 1 :]) if header else ({}, lines)
        match = _HEADER_LINE.match(line)
        if not match or match.group(1).lower() not in HEADER_KEYS:
            # A title such as "Update: markets rally" is prose, not a header.
            return {}, lines
        header[HEADER_KEYS[match.group(1).lower()]] = match.group(2)
    return {}, lines


def split_paragraphs(lines: list[str]) -> list[str]:
    """Split body lines into paragraphs: by blank lines if there are any, else one per line."""
    if not any(not line.strip() for line in lines):
        return [line.strip() for line in lines]
    return [" ".join(block.split("\n")) for block in "\n".join(lines).split("\n\n")]


def _strip_blank_edges(lines: list[str]) -> list[str]:
    """Drop blank lines at the start and the end."""
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return lines[start:end]


def _split_list(value: str, on_and: bool = True) -> list[str]:
    """Split "A, B and C" into names."""
    if not value:
        return []
    separator = _NAME_SEPARATOR if on_and else _TAG_SEPARATOR
    return [part.strip() for part in separator.split(value) if part.strip()]
