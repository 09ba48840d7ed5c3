"""Read JSON Lines files: one article per line, fields named as in the Article model."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace

from archive.dates import parse_date
from archive.model import Article, Skipped, join_paragraphs, make_article
from archive.text import split_paragraphs



def parse_jsonl(
    lines: Iterable[bytes],
    *,
    relative_path: str,
    path: str,
    max_line_bytes: int,
    consumed: Callable[[int], None] | None = None,
) -> Iterator[Article | Skipped]:
    """Yield an Article per good line and a Skipped, naming its line number, per bad one."""
    for number, line in enumerate(lines, start=1):
        if consumed:
            consumed(len(line))
        if not line.strip():
            continue
        where = f"{path}:{number}"
        if len(line) > max_line_bytes:
            yield Skipped(where, f"line {number}: larger than the {max_line_bytes // 1024 // 1024} MB limit")
            continue
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):
            yield Skipped(where, f"line {number}: not valid JSON")
            continue
        if not isinstance(record, dict):
            yield Skipped(where, f"line {number}: not a JSON object")
            continue
        yield record_article(record, number=number, relative_path=relative_path, path=path)


def record_article(record: dict, *, number: int, relative_path: str, path: str) -> Article | Skipped:
    """Return the Article of a record read at a line of a file (JSON Lines, CSV), or a Skipped naming the line."""
    where = f"{path}:{number}"
    try:
        article = article_from_record(record, f"{relative_path}#{number}")
    except Exception as error:  # one odd record must not cost the rest of the file
        return Skipped(where, f"line {number}: could not be parsed ({type(error).__name__})")
    if article is None:
        return Skipped(where, f"line {number}: no title and no body")
    return replace(article, path=path)


def article_from_record(record: dict, fallback_id: str) -> Article | None:
    """Build an Article from a JSON object, ignoring unknown fields; None without title and body."""
    title = _text(record.get("title"))
    body_value = record.get("body")
    paragraphs = [_text(p) for p in body_value] if isinstance(body_value, list) else _text(body_value).split("\n")
    body = join_paragraphs(split_paragraphs(paragraphs))
    if not title and not body:
        return None
    url = _text(record.get("url"))
    return make_article(
        title=title,
        body=body,
        relative_path=fallback_id,
        explicit_id=_text(record.get("id")),
        url=url if url.startswith(("http://", "https://")) else "",
        category=_text(record.get("category")) or None,
        published=parse_date(_text(record.get("published"))),
        authors=_strings(record.get("authors")),
        source=_text(record.get("source")),
        language=_text(record.get("language")),
        tags=_strings(record.get("tags")),
        summary=_text(record.get("summary")),
    )


def _text(value: object) -> str:
    """Return a JSON scalar as text, and anything else as empty."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return ""


def _strings(value: object) -> list[str]:
    """Return a list of names from a JSON list or a comma-separated string."""
    if isinstance(value, list):
        return [text for text in map(_text, value) if text]
    return [part.strip() for part in _text(value).split(",") if part.strip()]
