"""Turn search results into plain JSON-ready data, for `--json` and the web API."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime

from index.searching import SearchResult


def search_result_to_dict(result: SearchResult) -> dict:
    """Return a search result as JSON-ready data."""
    data = asdict(result)
    data["filters"] = {name: list(values) for name, values in result.filters.items()}
    data["date_range"] = (
        {"start": _iso(result.date_range.start), "end": _iso(result.date_range.end)} if result.date_range else None
    )
    data["hits"] = [{**asdict(hit), "snippet": str(hit.snippet), "published": _iso(hit.published)} for hit in result.hits]
    return data


def _iso(value: date | datetime | None) -> str | None:
    """Return a date or datetime in ISO 8601, or None."""
    return value.isoformat() if value else None
