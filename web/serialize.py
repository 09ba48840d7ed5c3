"""Turn search results into plain JSON-ready data, for `--json` and the web API."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime

from index import FILTERS, ArticlePage, Facet, Hit, SearchResult
from web.presenting import render_marked, value_label


def search_result_to_dict(result: SearchResult) -> dict:
    """Return a search result as JSON-ready data."""
    data = asdict(result)
    data["facets"] = [facet_to_dict(facet) for facet in result.facets]
    data["relaxed"] = list(result.relaxed)
    data["filters"] = {name: list(values) for name, values in result.filters.items()}
    data["date_range"] = (
        {"start": _iso(result.date_range.start), "end": _iso(result.date_range.end)} if result.date_range else None
    )
    data["hits"] = [hit_to_dict(hit) for hit in result.hits]
    return data


def _iso(value: date | datetime | None) -> str | None:
    """Return a date or datetime in ISO 8601, or None."""
    return value.isoformat() if value else None


def facet_to_dict(facet: Facet) -> dict:
    """Return a facet as JSON-ready data, with readable labels."""
    return {
        "name": facet.name,
        "label": FILTERS[facet.name].label,
        "values": [{**asdict(value), "label": value_label(facet.name, value.value)} for value in facet.values],
        "more": facet.more,
    }


def hit_to_dict(hit: Hit) -> dict:
    """Return a hit as JSON-ready data."""
    return {
        **asdict(hit),
        "snippet": str(render_marked(hit.snippet)),
        "published": _iso(hit.published),
        "authors": list(hit.authors),
        "missing": list(hit.missing),
    }


def article_page_to_dict(page: ArticlePage) -> dict:
    """Return an article with its similar articles as JSON-ready data."""
    article = page.article
    return {
        "id": article.id,
        "key": page.key,
        "title": article.title,
        "paragraphs": article.paragraphs,
        "marked_paragraphs": [str(render_marked(paragraph)) for paragraph in page.marked_paragraphs],
        "category": article.category,
        "category_origin": article.category_origin,
        "category_confidence": article.category_confidence,
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
