"""The Whoosh schema, and the conversion between Articles and index documents."""

from __future__ import annotations

import hashlib
from datetime import timezone

from whoosh.analysis import RegexTokenizer
from whoosh.fields import DATETIME, ID, KEYWORD, STORED, TEXT, Schema

from archive.model import Article
from index.analysis import ProsePositions, text_analyzer

# Fields shown as facets, in display order; each holds exact, untokenized values.
FACET_FIELDS = ("category", "source", "authors", "year", "tags")
MULTI_VALUED_FIELDS = frozenset({"authors", "tags"})
SEPARATOR = "\x1f"  # between values of a multi-valued field; never typed in a name or a tag


def build_schema() -> Schema:
    """Return the schema of the archive index."""
    analyzer = text_analyzer()
    whole_values = RegexTokenizer(f"[^{SEPARATOR}]+")
    schema = Schema(
        id=STORED(),
        key=ID(unique=True, stored=True),  # derived from id; unique, so update_document replaces by it
        title=TEXT(analyzer=analyzer, stored=True),  # weighted above the body by scoring.FIELD_BOOSTS
        body=TEXT(analyzer=analyzer, stored=True),
        summary=STORED(),
        category=ID(stored=True),
        source=ID(stored=True),
        authors=KEYWORD(stored=True, analyzer=whole_values),
        tags=KEYWORD(stored=True, analyzer=whole_values),
        published=DATETIME(stored=True, sortable=True),
        year=ID(stored=True),
        month=ID(stored=True),
        language=ID(stored=True),
        url=STORED(),
        path=ID(stored=True),
        mtime_ns=STORED(),
        captured=STORED(),  # when a web archive captured the page, if it came from one
        content_hash=ID(stored=True),  # looked up by update to refuse copies of archived articles
    )
    for name in ("title", "body"):
        schema[name].format = ProsePositions(field_boost=schema[name].format.field_boost)
    return schema


def article_to_document(article: Article, mtime_ns: int = 0) -> dict:
    """Return the fields Whoosh indexes for an article."""
    document = {
        "id": article.id,
        "key": url_key(article.id),
        "title": article.title,
        "body": article.body,
        "summary": article.summary,
        "category": article.category,
        "authors": SEPARATOR.join(article.authors),
        "tags": SEPARATOR.join(article.tags),
        "language": article.language,
        "url": article.url,
        "path": article.path,
        "mtime_ns": mtime_ns,
        "content_hash": article.content_hash,
    }
    if article.source:
        document["source"] = article.source
    if article.captured:
        document["captured"] = article.captured.astimezone(timezone.utc).replace(tzinfo=None)
    if article.published:
        # Whoosh stores naive datetimes; ours are all UTC, so dates sort and filter alike and the
        # year facet agrees with date: filters.
        published = article.published.astimezone(timezone.utc).replace(tzinfo=None)
        document["published"] = published
        document["year"] = f"{published.year:04d}"
        document["month"] = f"{published.year:04d}-{published.month:02d}"
    return document


def url_key(article_id: str) -> str:
    """Return a short, URL-safe key derived from an article id (ids may be URLs or paths)."""
    return hashlib.sha256(article_id.encode("utf-8")).hexdigest()[:16]


def split_values(stored: str) -> tuple[str, ...]:
    """Split a stored multi-valued field into its values."""
    return tuple(value for value in stored.split(SEPARATOR) if value)
