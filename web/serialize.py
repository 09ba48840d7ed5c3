"""Turn search results into plain JSON-ready data, for `--json` and the web API."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime

from index.documents import ArticlePage
from index.searching import Hit, SearchResult


def search_result_to_dict(result: SearchResult) -> dict:
    """Return a search result as JSON-ready data."""
    data = asdict(result)
    data["filters"] = {name: list(values) for name, values in result.filters.items()}
    data["date_range"] = (
        {"start": _iso(result.date_range.start), "end": _iso(result.date_range.end)} if result.date_range else None
    )
    data["hits"] = [hit_to_dict(hit) for hit in result.hits]
    return data


def _iso(value: date | datetime | None) -> str | None:
    """Return a date or datetime in ISO 8601, or None."""
    return value.isoformat() if value else None


def hit_to_dict(hit: Hit) -> dict:
    """Return a hit as JSON-ready data."""
    return {**asdict(hit), "snippet": str(hit.snippet), "published": _iso(hit.published)}


def article_page_to_dict(page: ArticlePage) -> dict:
    """Return an article with its similar articles as JSON-ready data."""
    article = page.article
    return {
        "id": article.id,
        "key": page.key,
        "title": article.title,
        "paragraphs": article.paragraphs,
        "marked_paragraphs": [str(paragraph) for paragraph in page.marked_paragraphs],
        "category": article.category,
        "published": _iso(article.published),
        "authors": list(article.authors),
        "source": article.source,
        "url": article.url,
        "language": article.language,
        "tags": list(article.tags),
        "summary": article.summary,
        "captured": _iso(article.captured),
        "similar": [hit_to_dict(hit) for hit in page.similar],
    }
